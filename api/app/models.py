"""Every table, imported in one place for Alembic."""

from app.appointments.models import Appointment, ClosureDay, HomeVisitRequest  # noqa: F401
from app.conversations.models import Conversation, ErasureRecord, Message  # noqa: F401
from app.console.accounts.models import (  # noqa: F401
    AuditEntry,
    ConsoleEvent,
    ConsoleSession,
    ConversationNote,
    Counsellor,
    LoginThrottle,
)
from app.safety.models import SafetyFlag  # noqa: F401
