from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictStr

from app.conversations.schemas import Button, MessageText


class WidgetSession(BaseModel):
    token: str = Field(description="Signed conversation token; send it with every widget call")


class WidgetMessageRequest(BaseModel):
    # A missing token is an authentication problem (401), not a shape problem (422).
    token: StrictStr = Field(default="", max_length=512, description="The token from POST /api/widget/session")
    text: MessageText = Field(description="The user's message, 1 to 2,000 characters")


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
