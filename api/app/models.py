"""Every table, imported in one place for Alembic."""

from app.conversations.models import Conversation, Message  # noqa: F401
