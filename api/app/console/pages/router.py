"""The counsellors' console: server-rendered pages (Jinja2) at /console.

Pages read their data here, through the same functions as the JSON API; every change
(take, reply, phrase, note, flag, closures, accounts) goes through the JSON API under
/api/console with the session's CSRF token, from /static/console/console.js. The live
parts (queue, conversation) reload server-rendered fragments when the event stream
says something changed. No inline script or style: the Content-Security-Policy set in
``security_headers`` forbids them."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.appointments import repository as appointments_repo
from app.appointments.models import HomeVisitStatus
from app.appointments.schedule import SERVICE_NAMES
from app.appointments.service import current_rules
from app.console.accounts import service as accounts
from app.console.accounts.models import Counsellor, Role
from app.console.appointments import service as day_service
from app.console.auth import Principal, authenticate
from app.console.conversations import router as conversations
from app.console.phrasebook import PHRASES
from app.conversations import repository
from app.core.bounds import RowId
from app.core.db import get_session, utcnow
from app.i18n.catalogue import LANGUAGES, RTL, load_catalogue, render
from app.safety.screen import Category

HERE = Path(__file__).parent
UI_LANGUAGES = ("fr", "nl", "en")
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

router = APIRouter(prefix="/console", include_in_schema=False)
assets = APIRouter(include_in_schema=False)
STATIC = HERE.parents[1] / "static" / "console"
ASSET_TYPES = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
templates = Jinja2Templates(directory=str(HERE / "templates"))

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")


def security_headers(response: Response) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"


@lru_cache
def ui_strings(lang: str) -> dict[str, str]:
    return yaml.safe_load((HERE / "ui" / f"{lang}.yml").read_text(encoding="utf-8"))


class UI:
    """t('key', name=...) in templates: the console's words in the counsellor's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in UI_LANGUAGES else "fr"
        self.strings = ui_strings(self.lang)

    def __call__(self, key: str, **values: Any) -> str:
        text = self.strings.get(key) or ui_strings("en")[key]
        return text.format(**values) if values else text


def _browser_language(request: Request) -> str:
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in UI_LANGUAGES:
            return code
    return "fr"


def _language_name(ui_lang: str, code: str | None) -> str:
    if not code:
        return "?"
    return load_catalogue(ui_lang)["_language_names"].get(code, code)


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(current_rules().timezone).strftime("%d/%m %H:%M")


def _hhmm(moment: dt.datetime) -> str:
    return moment.astimezone(current_rules().timezone).strftime("%H:%M")


def _render(request: Request, template: str, me: Principal | None, **context: Any) -> HTMLResponse:
    ui = UI(me.account.console_language if me else _browser_language(request))
    response = templates.TemplateResponse(request, template, {
        "t": ui, "ui_lang": ui.lang, "me": me, "csrf": me.session.csrf_token if me else "",
        "language_name": lambda code: _language_name(ui.lang, code), "local": _local, "hhmm": _hhmm,
        "rtl": RTL, "languages": LANGUAGES, "service_names": SERVICE_NAMES,
        "phrase_text": lambda key: _phrase_label(ui, key), **context})
    security_headers(response)
    return response


def _phrase_label(ui: UI, key: str) -> str:
    """The phrase in the counsellor's own language, its blanks named."""
    return render(key, ui.lang, day=f"[{ui('day')}]", time=f"[{ui('time')}]").text


class SignIn(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def page_principal(request: Request) -> Principal:
    try:
        return authenticate(request)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise SignIn(request.url.path) from None
        raise


Me = Annotated[Principal, Depends(page_principal)]


def _admin(me: Principal) -> None:
    if me.account.role != Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")


def sign_in_redirect(_: Request, exc: SignIn) -> RedirectResponse:
    response = RedirectResponse(f"/console/login?next={quote(exc.next_path)}", status_code=303)
    security_headers(response)
    return response


@assets.get("/static/console/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSET_TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")
    response = FileResponse(STATIC / name, media_type=ASSET_TYPES[name], headers={"Cache-Control": "no-cache"})
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("")
def home() -> RedirectResponse:
    return RedirectResponse("/console/queue", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/console/queue") -> HTMLResponse:  # noqa: A002
    # Only a path inside the console: never an open redirect.
    safe_next = next if next.startswith("/console/") and "//" not in next and "\\" not in next else "/console/queue"
    return _render(request, "login.html", None, next_path=safe_next)


def _queue_context(session: Session, me: Principal, language: str | None) -> dict[str, Any]:
    language = language if language in LANGUAGES else None
    items = conversations.queue_items(session, language)
    return {"items": items, "language": language, "urgent_ids": [i["id"] for i in items if i["urgent"]
                                                               and i["state"] == "waiting"]}


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, me: Me, session: SessionDep, language: str | None = None) -> HTMLResponse:
    return _render(request, "queue.html", me, page="queue", **_queue_context(session, me, language))


@router.get("/queue/list", response_class=HTMLResponse)
def queue_fragment(request: Request, me: Me, session: SessionDep, language: str | None = None) -> HTMLResponse:
    return _render(request, "_queue_list.html", me, **_queue_context(session, me, language))


def _conversation_context(session: Session, me: Principal, conversation_id: str) -> dict[str, Any]:
    conv = repository.get_by_id(session, conversation_id) if len(conversation_id) <= 36 else None
    if conv is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation")
    data = conversations.transcript_data(session, conv)
    item = data["conversation"]
    return {"data": data, "conv": item, "mine": item["state"] == "taken" and conv.counsellor_id == me.id,
            "phrases": [{"key": k, "needs": list(v)} for k, v in PHRASES.items()],
            "categories": [c.value for c in Category], "today": dt.datetime.now(current_rules().timezone).date()}


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(request: Request, conversation_id: str, me: Me, session: SessionDep) -> HTMLResponse:
    context = _conversation_context(session, me, conversation_id)
    accounts.audit(session, me.id, "open", conversation_id)
    return _render(request, "conversation.html", me, page="conversation", **context)


@router.get("/conversations/{conversation_id}/body", response_class=HTMLResponse)
def conversation_fragment(request: Request, conversation_id: str, me: Me, session: SessionDep) -> HTMLResponse:
    return _render(request, "_conversation_body.html", me, **_conversation_context(session, me, conversation_id))


@router.get("/day", response_class=HTMLResponse)
def day_page(request: Request, me: Me, session: SessionDep) -> HTMLResponse:
    now = utcnow()
    today = now.astimezone(current_rules().timezone).date()
    days = [(key, d, day_service.appointments_on(session, d))
            for key, d in (("today", today), ("tomorrow", today + dt.timedelta(days=1)))]
    visits = appointments_repo.home_visits(session, HomeVisitStatus.requested)
    closures = appointments_repo.closures_from(session, today)
    return _render(request, "day.html", me, page="day", days=days, visits=visits, closures=closures, today=today)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, me: Me, session: SessionDep) -> HTMLResponse:
    _admin(me)
    people = list(session.scalars(select(Counsellor).order_by(Counsellor.username)))
    return _render(request, "admin.html", me, page="admin", people=people, ui_languages=UI_LANGUAGES,
                   roles=[r.value for r in Role], min_password=accounts.MIN_PASSWORD_CHARS)


@router.get("/flags", response_class=HTMLResponse)
def flags_page(request: Request, me: Me, session: SessionDep) -> HTMLResponse:
    _admin(me)
    return _render(request, "flags.html", me, page="flags", flags=conversations.safety_flags(session))


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, me: Me) -> HTMLResponse:
    return _render(request, "account.html", me, page="account")


# --- photos and voice notes -------------------------------------------------------------------

MEDIA_MAX_BYTES = 10 * 1024 * 1024
SHOWN_INLINE = ("image/", "audio/", "video/")


@router.get("/media/{message_id}/{index}")
def media(message_id: RowId, index: Annotated[int, PathParam(ge=0, le=99)], me: Me, session: SessionDep) -> Response:
    """A photo or voice note a user sent, fetched from Twilio with the account's
    credentials (Twilio's media URLs need them) and passed to the signed-in counsellor.
    Only URLs under the configured Twilio API are fetched: a stored URL is never a way
    to make the gateway call elsewhere."""
    import json

    import httpx

    from app.conversations.models import Message
    from app.core.settings import get_settings

    msg = session.get(Message, message_id)
    items = json.loads(msg.media) if msg is not None and msg.media else []
    if not 0 <= index < len(items):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such media")
    settings = get_settings()
    url = str(items[index].get("url") or "")
    base = settings.twilio_api_base_url.rstrip("/") + "/"
    if not url.startswith(base):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such media")
    accounts.audit(session, me.id, "media", msg.conversation_id)
    try:
        with httpx.Client(timeout=15, follow_redirects=True) as http, http.stream(
                "GET", url, auth=(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value())) as r:
            if r.status_code != 200:
                raise HTTPException(status.HTTP_502_BAD_GATEWAY, "Twilio did not give this media")
            body = b""
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > MEDIA_MAX_BYTES:
                    raise HTTPException(status.HTTP_502_BAD_GATEWAY, "this media is too large to show")
            kind = r.headers.get("content-type", "application/octet-stream").split(";")[0].strip().lower()
    except httpx.HTTPError:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, "Twilio could not be reached for this media") from None
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    if not kind.startswith(SHOWN_INLINE):
        kind = "application/octet-stream"
        headers["Content-Disposition"] = "attachment"
    response = Response(content=body, media_type=kind, headers=headers)
    security_headers(response)
    return response
