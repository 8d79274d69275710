from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StrictStr

from app.core.text import clean_text


class Button(BaseModel):
    title: str
    payload: str


class OutMessage(BaseModel):
    text: str
    buttons: list[Button] = []
    kind: str = Field(default="bot", description="bot, system (the gateway), or counsellor (a person)")


def check_message_text(value: str) -> str:
    """The rule every channel applies to a user's text (app.core.text): control characters
    removed, invisible-only text refused as empty, at most 2,000 characters."""
    return clean_text(value)


# A user's or a counsellor's message, wherever it comes in: text only, same rules.
MessageText = Annotated[StrictStr, AfterValidator(check_message_text)]


class ChatRequest(BaseModel):
    sender: StrictStr = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:+\-]+$",
                              description="The web client's conversation id (letters, digits, _.:-)")
    text: MessageText = Field(description="The user's message, 1 to 2,000 characters")
    client_message_id: StrictStr | None = Field(
        default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="Optional, chosen by the client (a random uuid), the same on every retry of one "
                    "message: a message sent again after a lost answer is stored once, and its answer "
                    "(or 503 'saved' while it is being answered) and the token come back")
    token: StrictStr | None = Field(default=None, max_length=128,
                                    description="The token returned with the conversation's first answer: "
                                                "required for every later message (a sender alone never "
                                                "continues a conversation)")


class ChatResponse(BaseModel):
    messages: list[OutMessage]
    language: str | None = Field(description="The conversation's language (ISO 639-1), "
                                 "null while the user is asked to choose one")
    token: str | None = Field(default=None, description="Send it back with every later message of this "
                              "conversation, and to read (GET /api/chat/{sender}) or erase it (DELETE) as "
                              "'Authorization: Bearer <token>'. Null once the conversation is erased.")


class HistoryMessage(BaseModel):
    id: int
    direction: str = Field(description='"in" from the user, "out" to the user')
    text: str
    kind: str = Field(description="user, bot, system (the service), counsellor (a person)")
    created_at: str | None = None


class ChatHistory(BaseModel):
    messages: list[HistoryMessage]
    language: str | None
