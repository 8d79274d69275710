from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictStr

from app.conversations.schemas import Button, MessageText
from app.core.text import strip_controls
from app.language.detect import LANGUAGES

Language = Literal[LANGUAGES]  # the service's nine languages


class WidgetSession(BaseModel):
    token: str = Field(description="Signed conversation token; send it with every widget call")


class WidgetMessageRequest(BaseModel):
    # A missing token is an authentication problem (401), not a shape problem (422).
    token: StrictStr = Field(default="", max_length=512, description="The token from POST /api/widget/session")
    text: MessageText = Field(description="The user's message, 1 to 2,000 characters; "
                              "for a tapped quick reply, its payload")
    # Stored with the message: the same control characters go (a NUL fails on PostgreSQL).
    label: Annotated[StrictStr, AfterValidator(strip_controls)] | None = Field(default=None, max_length=200,
                                    description="A tapped quick reply's title, shown in the history in place of "
                                    "its payload (kept only if it is a button the assistant just offered)")
    language: Language | None = Field(default=None,
                                      description="A language the person picked in the widget: an explicit "
                                      "choice for the conversation (words such as 'English please' still win)")


class WidgetMessage(BaseModel):
    id: int | None = Field(description="Message id (null for a notice that is not stored)")
    direction: str = Field(description='"in" from the user, "out" to the user')
    text: str
    buttons: list[Button] = []
    language: str | None = None
    kind: str = Field(default="bot", description="user, bot, system (the service), counsellor (a person)")
    author: str | None = Field(default=None, description="A counsellor's first name, for a person's message")
    created_at: datetime | None = None


class WidgetReply(BaseModel):
    messages: list[WidgetMessage]
    language: str | None = Field(description="The conversation's language (ISO 639-1), "
                                 "null while the user is asked to choose one")
    token: str = Field(description="A refreshed token for the same conversation; store it")


class WidgetHistory(BaseModel):
    messages: list[WidgetMessage]
    language: str | None


class WidgetPrivacy(BaseModel):
    retention_days: int = Field(description="Messages are erased after this many days (RETENTION_DAYS)")


class WidgetAppointment(BaseModel):
    reference: str
    service: str = Field(description="social or legal")
    starts_at: datetime


class WidgetAppointments(BaseModel):
    appointments: list[WidgetAppointment] = Field(description="The conversation's upcoming booked appointments")
