"""Counsellors' verdicts on the danger screen: an alert that was wrong, a danger message
it missed. The team reads this list to grow the danger dev set (api/app/safety/examples)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime, utcnow


class FlagKind(StrEnum):
    false_alarm = "false_alarm"   # the screen raised an alert for an ordinary message
    missed = "missed"             # a danger message the screen let through


class SafetyFlag(Base):
    __tablename__ = "safety_flag"
    __table_args__ = (UniqueConstraint("message_id", name="uq_safety_flag_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The message itself is not copied: erasing a conversation erases its flags.
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FlagKind] = mapped_column(String(16))
    # For a missed message: the category the counsellor recognised.
    category: Mapped[str | None] = mapped_column(String(24))
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellor.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
