"""The website chat widget channel (signed tokens, messages, history, server-sent events)."""
