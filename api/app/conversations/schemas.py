from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StrictStr

from app.core.settings import get_settings


class Button(BaseModel):
    title: str
    payload: str


class OutMessage(BaseModel):
    text: str
    buttons: list[Button] = []
    kind: str = Field(default="bot", description="bot, system (the gateway), or counsellor (a person)")


def check_message_text(value: str) -> str:
    """The rules every channel applies to a user's text: present, and not over the limit."""
    if not value.strip():
        raise ValueError("the message is empty")
    limit = get_settings().max_message_chars
    if len(value) > limit:
        raise ValueError(f"the message is too long ({len(value)} characters, at most {limit})")
    return value


# A user's or a counsellor's message, wherever it comes in: text only, same rules.
MessageText = Annotated[StrictStr, AfterValidator(check_message_text)]


class ChatRequest(BaseModel):
    sender: StrictStr = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:+\-]+$",
                              description="The web client's conversation id (letters, digits, _.:-)")
    text: MessageText = Field(description="The user's message, 1 to 2,000 characters")


class ChatResponse(BaseModel):
    messages: list[OutMessage]
    language: str | None = Field(description="The conversation's language (ISO 639-1), "
                                 "null while the user is asked to choose one")
