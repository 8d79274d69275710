"""Custom actions (rasa-sdk). Each module holds one feature; nothing connects at import."""

import logging

# httpx logs every request's URL at INFO, and the action server runs at INFO: the URLs name
# conversation ids and appointment references (/api/appointments/<reference>), which stay out
# of the logs. The actions report failures themselves, by type only.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)
