"""The counsellors' console in a real headless Chromium, against the real stack
(gateway, Rasa, action server) and a local fake of Twilio's REST API.

A counsellor signs in from one browser context while users write from the widget (a
second context) and by SMS (signed Twilio webhooks); the queue updates without a
reload, phrasebook replies reach users in their own language, handback returns them to
the assistant. axe-core (the copy bundled by axe-playwright-python) checks every page;
screenshots at laptop and tablet sizes go to test-results/ (git-ignored)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import axe_playwright_python
import httpx
import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.fakes.fake_twilio import FakeTwilio, TwilioWebhooks
from tools.stack import MODEL, Stack

ROOT = Path(__file__).resolve().parents[2]
AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
PASSWORD = "console browser password"
ADMIN_SECRET = pyotp.random_base32()
TWILIO = {"TWILIO_AUTH_TOKEN": "console-twilio-auth-token", "TWILIO_ACCOUNT_SID": "AC" + "c0de" * 8,
          "TWILIO_SMS_NUMBER": "+3228880000", "TWILIO_WHATSAPP_NUMBER": "+3228880001"}

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no trained model (make train)")


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio) -> Iterator[Stack]:
    db = tmp_path_factory.mktemp("console") / "gateway.db"
    s = Stack(database_url=f"sqlite:///{db}", with_bot=True,
              extra_env={**TWILIO, "TWILIO_API_BASE_URL": fake_twilio.url, "OUTBOX_POLL_SECONDS": "0.2",
                         "WIDGET_POLL_SECONDS": "0.3"})
    s.env["PUBLIC_BASE_URL"] = s.url
    with s:
        _accounts(s)
        yield s


def _accounts(stack: Stack) -> None:
    from app.console.accounts.models import Role
    from app.console.accounts.service import create_account
    from app.core.db import make_engine
    from sqlalchemy.orm import Session

    engine = make_engine(stack.database_url)
    with Session(engine) as s:
        create_account(s, username="lea", display_name="Léa", password=PASSWORD, languages=["fr", "es", "en"],
                       console_language="fr")
        create_account(s, username="joris", display_name="Joris", password=PASSWORD, languages=["nl", "en"],
                       console_language="nl")
        admin = create_account(s, username="admin", display_name="Admin", password=PASSWORD, role=Role.admin,
                               languages=["en"], console_language="en")
        admin.totp_secret, admin.totp_enabled = ADMIN_SECRET, True
        s.commit()
    engine.dispose()


def sign_in(page: Page, stack: Stack, username: str, *, code: bool = False) -> None:
    page.goto(f"{stack.url}/console/queue")
    expect(page).to_have_url(re.compile(r"/console/login\?next=/console/queue"))
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    if code:
        page.locator("#totp").fill(pyotp.TOTP(ADMIN_SECRET).now())
    page.locator("#login-form button[type=submit]").click()
    # Not "/console/login?next=/console/queue", which also ends so: the signed-in queue.
    expect(page).to_have_url(re.compile(r"^[^?]*/console/queue$"))


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Open the chat").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def say(page: Page, text: str) -> None:
    # The widget's labels follow the user's language once it is known: the one text box.
    box = page.get_by_role("dialog").get_by_role("textbox")
    box.fill(text)
    box.press("Enter")


def answers(page: Page):
    return page.get_by_role("log").locator(".msg.out")


def catalogue(lang: str) -> dict:
    from app.i18n.catalogue import load_catalogue

    return load_catalogue(lang)


def axe_violations(page: Page) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    return [f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in result["violations"]]


def queue_row(page: Page, conversation_id: str):
    return page.locator(f'tr[data-id="{conversation_id}"]')


def conversation_id_of(stack: Stack, key_prefix: str) -> str:
    from app.conversations.models import Conversation
    from app.core import crypto
    from app.core.db import make_engine
    from app.core.settings import Settings
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    if key_prefix.startswith("tel:+"):  # a phone conversation's key is its number's keyed hash
        stack_settings = Settings(environment="test", secret_key=stack.env["SECRET_KEY"],
                                  phone_hash_key=stack.env.get("PHONE_HASH_KEY"))
        key_prefix = crypto.phone_key(key_prefix.removeprefix("tel:"), stack_settings)

    engine = make_engine(stack.database_url)
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            with Session(engine) as s:
                found = s.scalars(select(Conversation.id).where(Conversation.key.like(f"{key_prefix}%"))
                                  .order_by(Conversation.created_at.desc())).first()
            if found:
                return found
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError(f"no conversation {key_prefix}")


def next_weekday(days: int = 1) -> datetime:
    d = datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=days)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


# --- a widget user, a counsellor, and back to the assistant -----------------------------------


def test_widget_user_reaches_a_counsellor_who_answers_with_a_phrase_in_her_language(
        new_page: Callable[..., Page], full: Stack, screenshot) -> None:
    counsellor = new_page(LAPTOP)
    sign_in(counsellor, full, "lea")
    expect(counsellor.locator("html")).to_have_attribute("lang", "fr")
    user = new_page({"width": 390, "height": 844})
    open_widget(user, full.url + "/")
    say(user, "quiero hablar con una persona")
    expect(answers(user).last).not_to_have_text("", timeout=30_000)
    conv = conversation_id_of(full, "web:")
    # The queue shows it without a reload.
    row = queue_row(counsellor, conv)
    expect(row).to_be_visible(timeout=15_000)
    expect(row).to_contain_text("quiero hablar con una persona")
    expect(row).to_contain_text("espagnol", ignore_case=True)
    screenshot(counsellor, "console-queue-laptop")
    row.get_by_role("link").click()
    expect(counsellor.locator(".conversation-body")).to_have_attribute("data-state", "waiting")
    expect(counsellor.locator(".transcript")).to_contain_text("request_counsellor")
    counsellor.get_by_role("button", name="Prendre").click()
    expect(counsellor.locator(".conversation-body")).to_have_attribute("data-mine", "yes")
    # A phrase picked in French, sent in Spanish.
    counsellor.locator("#phrase-key").select_option("phrase_bring_documents")
    expect(counsellor.locator("#phrase-preview")).to_have_text(catalogue("es")["phrase_bring_documents"])
    counsellor.get_by_role("button", name="Envoyer cette phrase").click()
    expect(answers(user).last).to_contain_text(catalogue("es")["phrase_bring_documents"], timeout=15_000)
    expect(answers(user).last).to_contain_text("Léa")
    screenshot(counsellor, "console-conversation-laptop")
    counsellor.set_viewport_size(TABLET)
    screenshot(counsellor, "console-conversation-tablet")
    counsellor.set_viewport_size(LAPTOP)
    # Free text too, then handback.
    counsellor.locator("#reply-text").fill("Hasta pronto.")
    counsellor.locator("#reply-form button[type=submit]").click()
    expect(answers(user).last).to_contain_text("Hasta pronto.", timeout=15_000)
    counsellor.get_by_role("button", name="Rendre à l'assistant").click()
    expect(counsellor.locator(".conversation-body")).to_have_attribute("data-state", "bot")
    from app.i18n.catalogue import render

    # The user sees that the counsellor has left (pushed by the event stream) before writing again.
    expect(answers(user).last).to_contain_text(render("handoff_closed", "es").text, timeout=15_000)
    say(user, "¿cuál es el horario?")

    expect(answers(user).last).to_have_text(re.compile(re.escape(render("utter_social_hours", "es").text[:30])),
                                            timeout=30_000)


def test_sms_user_gets_a_phrase_with_a_day_and_time_through_twilio(
        new_page: Callable[..., Page], full: Stack, fake_twilio: FakeTwilio) -> None:
    counsellor = new_page(TABLET)
    sign_in(counsellor, full, "lea")
    tw = TwilioWebhooks(TWILIO["TWILIO_AUTH_TOKEN"], full.url, TWILIO["TWILIO_ACCOUNT_SID"],
                        TWILIO["TWILIO_SMS_NUMBER"], TWILIO["TWILIO_WHATSAPP_NUMBER"])
    params = tw.inbound("+32470555999", "can a counsellor call me please")
    r = httpx.post(f"{full.url}/webhooks/twilio/sms", data=params, timeout=30,
                   headers={"X-Twilio-Signature": tw.sign(f"{full.url}/webhooks/twilio/sms", params)})
    assert r.status_code == 200, r.text
    conv = conversation_id_of(full, "tel:+32470555999")
    row = queue_row(counsellor, conv)
    expect(row).to_be_visible(timeout=15_000)
    expect(row).to_contain_text("SMS")
    expect(row).not_to_contain_text("+32470555999")  # the queue shows no phone numbers
    screenshot_dir = ROOT / "test-results"
    screenshot_dir.mkdir(exist_ok=True)
    counsellor.screenshot(path=str(screenshot_dir / "console-queue-tablet.png"))
    row.get_by_role("link").click()
    counsellor.get_by_role("button", name="Prendre").click()
    expect(counsellor.locator(".conversation-body")).to_have_attribute("data-mine", "yes")
    day = next_weekday()
    counsellor.locator("#phrase-key").select_option("phrase_come_permanence")
    counsellor.locator("#phrase-day").fill(day.date().isoformat())
    counsellor.locator("#phrase-time").fill("10:30")
    from app.i18n.catalogue import format_date

    expect(counsellor.locator("#phrase-preview")).to_contain_text(format_date("en", day.date()))
    counsellor.get_by_role("button", name="Envoyer cette phrase").click()
    deadline = time.monotonic() + 20
    sent: list[dict[str, str]] = []
    while time.monotonic() < deadline and not sent:
        sent = [m.form for m in fake_twilio.messages() if format_date("en", day.date()) in m.form.get("Body", "")]
        time.sleep(0.2)
    assert sent, [m.form.get("Body") for m in fake_twilio.messages()]
    assert sent[0]["To"] == "+32470555999" and sent[0]["Body"].startswith("Léa (counsellor): Come to the permanence")
    assert "10:30" in sent[0]["Body"]
    counsellor.get_by_role("button", name="Rendre à l'assistant").click()
    expect(counsellor.locator(".conversation-body")).to_have_attribute("data-state", "bot")


def test_an_urgent_message_goes_to_the_top_with_an_alert(new_page: Callable[..., Page], full: Stack) -> None:
    counsellor = new_page(LAPTOP)
    sign_in(counsellor, full, "joris")
    httpx.post(f"{full.url}/api/chat", json={"sender": "calm", "text": "I want to talk to a person"}, timeout=30)
    calm = conversation_id_of(full, "api:calm")
    expect(queue_row(counsellor, calm)).to_be_visible(timeout=15_000)
    expect(counsellor.locator("#urgent-banner")).to_be_hidden()
    r = httpx.post(f"{full.url}/api/chat", json={"sender": "danger", "text": "ik wil niet meer leven"}, timeout=30)
    assert "112" in r.json()["messages"][0]["text"]
    urgent = conversation_id_of(full, "api:danger")
    expect(counsellor.locator("tbody tr").first).to_have_attribute("data-id", urgent, timeout=15_000)
    expect(counsellor.locator("tbody tr").first).to_have_class(re.compile("urgent"))
    expect(counsellor.locator("#urgent-banner")).to_be_visible()
    expect(counsellor).to_have_title(re.compile(r"^\(!\) "))
    # Close both so the next tests start from an empty queue.
    for conv in (urgent, calm):
        counsellor.goto(f"{full.url}/console/conversations/{conv}")
        counsellor.get_by_role("button", name="Teruggeven aan de assistent").click()
        expect(counsellor.locator(".conversation-body")).to_have_attribute("data-state", "bot")


def test_two_counsellors_take_at_once_and_one_is_told(new_page: Callable[..., Page], full: Stack) -> None:
    httpx.post(f"{full.url}/api/chat", json={"sender": "race", "text": "I want to talk to a person"}, timeout=30)
    conv = conversation_id_of(full, "api:race")
    pages = []
    for name in ("lea", "joris"):
        p = new_page(LAPTOP)
        sign_in(p, full, name)
        p.goto(f"{full.url}/console/conversations/{conv}")
        expect(p.locator('form[data-api$="/take"]')).to_be_visible()
        pages.append(p)
    for p in pages:  # both submit before either answer is back
        p.evaluate("document.querySelector('form[data-api$=\"/take\"]').requestSubmit()")
    for p in pages:
        expect(p.locator(".conversation-body")).to_have_attribute("data-state", "taken", timeout=10_000)
    mine = [p.locator(".conversation-body").get_attribute("data-mine") for p in pages]
    assert sorted(mine) == ["no", "yes"], mine
    loser = pages[mine.index("no")]
    expect(loser.locator("#status")).to_have_class(re.compile("error"))
    expect(loser.locator("#status")).to_contain_text("another counsellor")
    winner = pages[mine.index("yes")]
    winner.locator('form[data-api$="/close"] button').click()
    expect(winner.locator(".conversation-body")).to_have_attribute("data-state", "bot")


# --- an admin erases a person ------------------------------------------------------------------


def test_an_admin_erases_a_person_after_a_confirmation_and_an_open_page_leaves(
        new_page: Callable[..., Page], full: Stack, screenshot) -> None:
    """Issue 10: only admins see the erase card; the button needs the confirmation box
    ticked; afterwards the conversation is gone from the queue, and a counsellor who had
    it open is sent back to the queue by the live stream."""
    tw = TwilioWebhooks(TWILIO["TWILIO_AUTH_TOKEN"], full.url, TWILIO["TWILIO_ACCOUNT_SID"],
                        TWILIO["TWILIO_SMS_NUMBER"], TWILIO["TWILIO_WHATSAPP_NUMBER"])
    params = tw.inbound("+32470555432", "can a counsellor call me please, I am Mirela")
    r = httpx.post(f"{full.url}/webhooks/twilio/sms", data=params, timeout=30,
                   headers={"X-Twilio-Signature": tw.sign(f"{full.url}/webhooks/twilio/sms", params)})
    assert r.status_code == 200, r.text
    conv = conversation_id_of(full, "tel:+32470555432")
    counsellor = new_page(LAPTOP)
    sign_in(counsellor, full, "lea")
    counsellor.goto(f"{full.url}/console/conversations/{conv}")
    expect(counsellor.locator(".transcript")).to_contain_text("Mirela")
    expect(counsellor.locator("#erase-form")).to_have_count(0)  # counsellors cannot erase
    admin = new_page(LAPTOP)
    sign_in(admin, full, "admin", code=True)
    admin.goto(f"{full.url}/console/conversations/{conv}")
    button = admin.get_by_role("button", name="Erase for good")
    expect(button).to_be_hidden()  # behind a disclosure first
    admin.get_by_text("Erase everything about this person…").click()
    expect(button).to_be_visible()
    assert axe_violations(admin) == []
    screenshot(admin, "console-erase-laptop")
    button.click()  # not confirmed: the browser refuses to submit, nothing is erased
    admin.wait_for_timeout(500)
    expect(admin).to_have_url(re.compile(rf"/console/conversations/{conv}$"))
    expect(admin.locator(".transcript")).to_contain_text("Mirela")
    admin.get_by_label("I confirm: the person asked for it, and nothing can be recovered.").check()
    button.click()
    expect(admin).to_have_url(re.compile(r"^[^?]*/console/queue$"), timeout=15_000)
    expect(queue_row(admin, conv)).to_have_count(0)
    # The counsellor's open page leaves for the queue: nothing is left to show.
    expect(counsellor).to_have_url(re.compile(r"^[^?]*/console/queue$"), timeout=15_000)
    assert httpx.get(f"{full.url}/api/console/conversations/{conv}").status_code == 401  # not signed in
    admin.goto(f"{full.url}/console/conversations/{conv}")
    expect(admin.locator("body")).not_to_contain_text("Mirela")


# --- every page passes axe-core -----------------------------------------------------------------


def test_every_console_page_passes_axe(new_page: Callable[..., Page], full: Stack, screenshot) -> None:
    visitor = new_page(LAPTOP)
    visitor.goto(f"{full.url}/console/login")
    assert axe_violations(visitor) == []
    admin = new_page(LAPTOP)
    sign_in(admin, full, "admin", code=True)
    httpx.post(f"{full.url}/api/chat", json={"sender": "axe", "text": "mi marito mi picchia"}, timeout=30)
    conv = conversation_id_of(full, "api:axe")
    expect(queue_row(admin, conv)).to_be_visible(timeout=15_000)
    csp_errors: list[str] = []
    admin.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    for path in ("/console/queue", f"/console/conversations/{conv}", "/console/day", "/console/admin",
                 "/console/flags", "/console/account"):
        admin.goto(full.url + path)
        expect(admin.locator("main h1")).to_be_visible()
        for size in (LAPTOP, TABLET):
            admin.set_viewport_size(size)
            assert axe_violations(admin) == [], (path, size)
    assert csp_errors == []
    # A flag from the conversation page reaches the admins' list.
    admin.goto(f"{full.url}/console/conversations/{conv}")
    admin.get_by_role("button", name="Flag: wrong danger alert").click()
    expect(admin.locator(".transcript")).to_contain_text("Flagged")
    admin.goto(f"{full.url}/console/flags")
    expect(admin.locator("main")).to_contain_text("mi marito mi picchia")
    admin.goto(f"{full.url}/console/conversations/{conv}")
    admin.locator('form[data-api$="/close"] button').click()
    expect(admin.locator(".conversation-body")).to_have_attribute("data-state", "bot")
