"""Custom actions (rasa-sdk). Each module holds one feature; nothing connects at import."""
