"""A conversation's history in Rasa, bounded: what a turn reads, replays and sends stays
the same size however long the conversation (see compaction.py)."""
