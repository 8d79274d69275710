"""The chat widget in a real headless Chromium against a real gateway.

The gateway runs without the bot (tools/stack.py, with_bot=False): a language switch
("English please", "بالعربية") and the language menu are answered by the gateway itself,
and anything else gets the gateway's "cannot answer right now" (503) path. One test
at the end talks to the real bot when a trained model exists.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from tools.stack import MODEL, Stack, free_port

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ARABIC_CATALOGUE = ROOT / "api" / "app" / "i18n" / "catalogues" / "ar.yml"


# --- helpers ----------------------------------------------------------------------------------


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Open the chat").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Your message")
    box.fill(text)
    box.press("Enter")


def answers(page: Page):
    return page.get_by_role("log").locator(".msg.out")


def focused(page: Page) -> str:
    """What has the keyboard focus inside the widget (id, else class), or "" outside it."""
    return page.evaluate("""() => {
        const a = document.querySelector('hirondelle-chat').shadowRoot.activeElement;
        return a ? (a.id || a.className) : '';
    }""")


def computed(page: Page, selector: str, prop: str) -> str:
    return page.evaluate("([sel, prop]) => getComputedStyle(document.querySelector('hirondelle-chat')"
                         ".shadowRoot.querySelector(sel))[prop]", [selector, prop])


# --- a conversation ---------------------------------------------------------------------------


def test_answer_shows_and_the_conversation_survives_a_reload(page: Page, stack: Stack, screenshot) -> None:
    open_widget(page, stack.url + "/")
    launcher = page.locator("hirondelle-chat .launcher")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    say(page, "English please")
    expect(page.get_by_role("log").locator(".msg.in")).to_contain_text(["English please"])
    expect(answers(page)).to_contain_text(["OK, I will write in English."])
    expect(page.get_by_role("textbox", name="Your message")).to_have_value("")

    page.reload()
    # The open panel and the whole conversation come back (token in localStorage).
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("log").locator(".msg")).to_contain_text(["English please",
                                                                       "OK, I will write in English."])
    assert page.evaluate("Object.keys(localStorage).some(k => k.startsWith('hirondelle-chat:token:'))")
    screenshot(page, "widget-desktop")


def test_quick_replies_send_their_payload(page: Page, stack: Stack) -> None:
    open_widget(page, stack.url + "/")
    say(page, "ok")  # too short to tell the language: the numbered menu
    expect(answers(page).last).to_contain_text("9. العربية")
    say(page, "3")  # English: the greeting, with its buttons
    suggestions = page.get_by_role("group", name="Suggested answers")
    expect(suggestions.get_by_role("button")).to_have_count(3)
    suggestions.get_by_role("button", name="Opening hours").click()
    # The payload is what is sent; the bot is down here, so it comes back into the box.
    expect(page.get_by_role("alert")).to_contain_text("cannot answer right now")
    expect(page.get_by_role("textbox", name="Your message")).to_have_value("What are your opening hours?")
    assert focused(page) == "input"


def test_pushed_message_arrives_while_the_panel_is_closed(page: Page, stack: Stack) -> None:
    """A counsellor's reply stored later reaches the open page by server-sent events."""
    from app.channels.web.tokens import verify
    from app.conversations.models import Channel, Direction, MessageStatus
    from app.conversations.repository import add_message, get_by_key
    from app.core.db import make_engine
    from sqlalchemy.orm import Session

    open_widget(page, stack.url + "/")
    say(page, "English please")
    expect(answers(page)).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    token = page.evaluate("Object.entries(localStorage).find(([k]) => k.includes(':token:'))[1]")
    key = verify(token, stack.env["SECRET_KEY"], max_age_seconds=3600).key
    engine = make_engine(stack.database_url)
    with Session(engine) as s:
        add_message(s, get_by_key(s, key), Direction.outbound, "Hello, I am Sarah, a counsellor.",
                    channel=Channel.web, status=MessageStatus.queued, language="en")
        s.commit()
    engine.dispose()

    expect(page.get_by_role("button", name="Open the chat (1 new message)")).to_be_visible(timeout=10_000)
    page.get_by_role("button", name="Open the chat (1 new message)").click()
    expect(answers(page).last).to_contain_text("Hello, I am Sarah, a counsellor.")


def test_a_counsellors_message_is_marked_as_a_persons(page: Page, stack: Stack) -> None:
    """During a handoff the user always knows a person is writing: name and role shown."""
    from app.channels.web.tokens import verify
    from app.console.accounts.service import create_account
    from app.conversations.models import Channel, Direction, MessageKind, MessageStatus
    from app.conversations.repository import add_message, get_by_key
    from app.core.db import make_engine
    from sqlalchemy.orm import Session

    open_widget(page, stack.url + "/")
    say(page, "English please")
    expect(answers(page)).to_have_count(1)
    token = page.evaluate("Object.entries(localStorage).find(([k]) => k.includes(':token:'))[1]")
    key = verify(token, stack.env["SECRET_KEY"], max_age_seconds=3600).key
    engine = make_engine(stack.database_url)
    with Session(engine) as s:
        sarah = create_account(s, username="sarah-b", display_name="Sarah", password="long enough password")
        msg = add_message(s, get_by_key(s, key), Direction.outbound, "I am here. How can I help?",
                          channel=Channel.web, status=MessageStatus.queued, language="en")
        msg.kind, msg.counsellor_id = MessageKind.counsellor, sarah.id
        s.commit()
    engine.dispose()
    expect(answers(page).last).to_contain_text("Sarah (counsellor)", timeout=10_000)
    expect(answers(page).last).to_contain_text("I am here. How can I help?")


# --- right to left, phone layout --------------------------------------------------------------


def test_phone_layout(new_page, stack: Stack, screenshot) -> None:
    page = new_page(PHONE)
    open_widget(page, stack.url + "/")
    say(page, "ok")
    expect(answers(page)).to_have_count(1)
    say(page, "3")
    expect(page.get_by_role("group", name="Suggested answers")).to_be_visible()
    box = page.get_by_role("dialog").bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    # 16px at least, or phones zoom into the page when the box gets focus.
    assert float(computed(page, "#input", "fontSize").removesuffix("px")) >= 16
    # Nothing sticks out sideways.
    assert page.evaluate("document.querySelector('hirondelle-chat').shadowRoot.querySelector('.log')"
                         ".scrollWidth") <= PHONE["width"]
    screenshot(page, "widget-phone")


@pytest.mark.skipif(not ARABIC_CATALOGUE.exists(), reason="the Arabic catalogue is not written yet")
def test_arabic_conversation_reads_right_to_left(new_page, stack: Stack, screenshot) -> None:
    page = new_page(PHONE)
    open_widget(page, stack.url + "/")
    say(page, "بالعربية")
    expect(answers(page)).to_have_count(1)
    expect(page.get_by_role("dialog")).to_have_attribute("dir", "rtl")
    assert computed(page, ".panel", "direction") == "rtl"
    assert computed(page, ".msg.out", "direction") == "rtl"
    assert computed(page, ".msg.in", "direction") == "rtl"
    # The controls speak Arabic too.
    expect(page.get_by_role("button", name="إرسال")).to_be_visible()
    # The user's bubble sits on the left in a right-to-left conversation.
    user = page.get_by_role("log").locator(".msg.in").bounding_box()
    assert user["x"] < PHONE["width"] / 2
    screenshot(page, "widget-phone-arabic")
    page.reload()
    expect(page.get_by_role("dialog")).to_have_attribute("dir", "rtl")
    expect(answers(page)).to_have_count(1)


def test_a_latin_message_in_an_arabic_panel_keeps_its_own_direction(page: Page, stack: Stack) -> None:
    """dir="auto" per bubble: English text stays left-to-right whatever the panel's direction."""
    open_widget(page, stack.url + "/")
    say(page, "English please")
    expect(answers(page)).to_have_count(1)
    assert computed(page, ".msg.out", "direction") == "ltr"
    page.evaluate("document.querySelector('hirondelle-chat').shadowRoot.querySelector('.panel')"
                  ".setAttribute('dir', 'rtl')")
    assert computed(page, ".msg.out", "direction") == "ltr"


# --- failures ----------------------------------------------------------------------------------


def test_unreachable_gateway_keeps_the_text_and_offers_a_retry(page: Page, stack: Stack) -> None:
    open_widget(page, stack.url + "/")
    page.route("**/api/widget/**", lambda route: route.abort("internetdisconnected"))
    text = "Hello, I need some help with my papers please"
    say(page, text)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("cannot be reached")
    expect(page.get_by_role("textbox", name="Your message")).to_have_value(text)
    expect(page.get_by_role("log").locator(".msg")).to_have_count(0)  # nothing pretends to be sent

    # Back online, the retry reaches the gateway; the bot is down there (503): the
    # gateway's own apology shows, and the text is still kept for another try.
    page.unroute("**/api/widget/**")
    page.get_by_role("button", name="Try again").click()
    expect(alert).to_contain_text("cannot answer right now")
    expect(alert).to_contain_text("+32")
    expect(page.get_by_role("textbox", name="Your message")).to_have_value(text)
    assert focused(page) == "input"


def test_a_refused_token_starts_a_new_conversation(page: Page, stack: Stack) -> None:
    page.goto(stack.url + "/")
    page.evaluate("""() => localStorage.setItem(
        Object.keys(localStorage)[0] || 'hirondelle-chat:token:' + location.origin, 'forged.token')""")
    open_widget(page, stack.url + "/")
    say(page, "English please")
    expect(answers(page)).to_contain_text(["OK, I will write in English."])
    assert page.evaluate("Object.values(localStorage).every(v => v !== 'forged.token')")


# --- keyboard and screen reader ---------------------------------------------------------------


def test_keyboard_only(page: Page, stack: Stack) -> None:
    page.goto(stack.url + "/")
    launcher = page.get_by_role("button", name="Open the chat")
    # Reachable with Tab from the page.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "HIRONDELLE-CHAT" and focused(page) == "launcher":
            break
    assert focused(page) == "launcher"
    outline = computed(page, ".launcher", "outlineStyle")
    assert outline != "none"  # a visible focus ring
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(launcher).to_have_count(0)  # relabelled "Close the chat", and expanded
    expect(page.locator("hirondelle-chat .launcher")).to_have_attribute("aria-label", "Close the chat")
    expect(page.locator("hirondelle-chat .launcher")).to_have_attribute("aria-expanded", "true")
    assert focused(page) == "input"
    page.keyboard.type("English please")
    page.keyboard.press("Enter")
    expect(answers(page)).to_contain_text(["OK, I will write in English."])
    page.keyboard.press("Tab")
    assert focused(page) == "send"
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert focused(page) == "launcher"
    expect(page.get_by_role("button", name="Open the chat")).to_have_attribute("aria-expanded", "false")


def test_screen_reader_structure(page: Page, stack: Stack) -> None:
    open_widget(page, stack.url + "/")
    log = page.get_by_role("log", name="Conversation")
    expect(log).to_have_attribute("aria-live", "polite")
    # The panel is named by its header: the service's name on the demo page (data-title).
    name = yaml.safe_load((ROOT / "config" / "service.yml").read_text(encoding="utf-8"))["service"]["name"]
    expect(page.get_by_role("dialog", name=name)).to_be_visible()
    say(page, "English please")
    # Each bubble says who speaks, and follows its own text's direction.
    expect(log.locator(".msg.in")).to_have_text("You: English please")
    expect(log.locator(".msg.out")).to_have_text("Assistant: OK, I will write in English.")
    expect(log.locator(".msg").first).to_have_attribute("dir", "auto")


# --- embedded on another site ---------------------------------------------------------------------


@pytest.fixture
def partner_site(stack: Stack, tmp_path: Path) -> Iterator[str]:
    """Another origin (another port) whose page embeds the widget with the one script tag."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Partenaire</title>"
        "<style>* { font-family: serif !important; color: red; } button { background: yellow; }</style>"
        "</head><body><h1>Un site partenaire</h1>"
        f'<script src="{stack.url}/widget.js" data-gateway="{stack.url}" defer></script></body></html>',
        encoding="utf-8")
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{port}/"
    server.shutdown()
    server.server_close()


def test_works_from_another_origin(new_page, partner_site: str) -> None:
    # A visitor whose browser speaks none of the nine languages (Polish): the host page's
    # French is the next best guess.
    page = new_page(DESKTOP, locale="pl-PL")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(partner_site)
    # The host page is French: so is the widget until the conversation has a language.
    page.get_by_role("button", name="Ouvrir la discussion").click()
    page.get_by_role("textbox", name="Votre message").fill("English please")
    page.get_by_role("button", name="Envoyer").click()
    expect(answers(page)).to_contain_text(["OK, I will write in English."])
    expect(page.get_by_role("button", name="Send")).to_be_visible()  # now in the conversation's language
    assert any("/api/widget/messages" in u and u.startswith("http://127.0.0.1:") for u in requests)
    # The host page's CSS does not leak in.
    assert computed(page, ".send", "backgroundColor") != "rgb(255, 255, 0)"


# --- with the real bot -------------------------------------------------------------------------------


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model (make train)")
def test_real_bot_answers_in_the_widget(page: Page, tmp_path: Path) -> None:
    with Stack(database_url=f"sqlite:///{tmp_path / 'gateway.db'}", with_bot=True) as full:
        open_widget(page, full.url + "/")
        say(page, "What are your opening hours?")
        expect(answers(page).last).to_contain_text("9:00", timeout=30_000)
        expect(page.get_by_role("alert")).to_be_hidden()


# --- issue 9: the visitor's language, quick replies, times, timestamps, privacy, forgetting ---------


def widget_key(page: Page, stack: Stack) -> str:
    """The conversation key behind the token the page holds."""
    from app.channels.web.tokens import verify

    token = page.evaluate("Object.entries(localStorage).find(([k]) => k.includes(':token:'))[1]")
    return verify(token, stack.env["SECRET_KEY"], max_age_seconds=3600).key


def in_db(stack: Stack, work):
    """Runs work(session) against the gateway's database (a test's own writes and reads)."""
    from app.core.db import make_engine
    from sqlalchemy.orm import Session

    engine = make_engine(stack.database_url)
    try:
        with Session(engine) as s:
            result = work(s)
            s.commit()
            return result
    finally:
        engine.dispose()


def bot_says(stack: Stack, key: str, text: str, buttons: list[dict] | None = None, created_at=None) -> None:
    """A message from the assistant, stored as the bot's replies are (it reaches the page by
    server-sent events): the way to give the widget buttons while the bot is down here."""
    from app.conversations.models import Channel, Direction, MessageStatus
    from app.conversations.repository import add_message, get_by_key

    def work(s):
        msg = add_message(s, get_by_key(s, key), Direction.outbound, text, channel=Channel.web,
                          status=MessageStatus.queued, language="en", buttons=buttons)
        if created_at is not None:
            msg.created_at = created_at

    in_db(stack, work)


def book(stack: Stack, key: str, reference: str, days: int = 3) -> None:
    from datetime import timedelta

    from app.appointments.models import Appointment
    from app.conversations.repository import get_by_key
    from app.core.db import utcnow

    def work(s):
        start = (utcnow() + timedelta(days=days)).replace(hour=9, minute=30, second=0, microsecond=0)
        s.add(Appointment(reference=reference, service="legal", starts_at=start, ends_at=start + timedelta(minutes=30),
                          seat=1, first_name="Amina", contact_phone=None, conversation_id=get_by_key(s, key).id,
                          language="en", channel="web"))

    in_db(stack, work)


def appointment_status(stack: Stack, reference: str) -> str:
    from app.appointments.models import Appointment
    from sqlalchemy import select

    return in_db(stack, lambda s: str(s.scalars(select(Appointment.status).where(
        Appointment.reference == reference)).one()))


def conversation_exists(stack: Stack, key: str) -> bool:
    from app.conversations.repository import get_by_key

    return in_db(stack, lambda s: get_by_key(s, key) is not None)


def widget_storage(page: Page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('hirondelle-chat:'))")


def inner_focus(page: Page) -> str:
    return page.evaluate("""() => {
        const a = document.querySelector('hirondelle-chat').shadowRoot.activeElement;
        return a ? (a.id || a.className || a.tagName) : '';
    }""")


def dismiss_notice(page: Page) -> None:
    page.get_by_role("region").get_by_role("button").click()
    expect(page.get_by_role("region")).to_be_hidden()


@pytest.mark.parametrize(("locale", "opener", "send", "direction"), [
    ("tr-TR", "Sohbeti aç", "Gönder", "ltr"),
    ("ar", "افتح المحادثة", "إرسال", "rtl"),
])
def test_the_visitors_browser_language_outranks_the_pages(new_page, stack: Stack, locale: str, opener: str,
                                                          send: str, direction: str) -> None:
    """A Turkish or Arabic phone on the English demo page (<html lang="en">)."""
    page = new_page(PHONE, locale=locale)
    page.goto(stack.url + "/")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("button", name=opener).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_have_attribute("lang", locale[:2])
    expect(dialog).to_have_attribute("dir", direction)
    expect(page.get_by_role("button", name=send)).to_be_visible()


def test_the_language_picker_changes_the_interface_and_tells_the_conversation(page: Page, stack: Stack) -> None:
    from app.conversations.repository import get_by_key

    tr_unavailable = yaml.safe_load((ROOT / "api/app/i18n/catalogues/tr.yml").read_text("utf-8"))["service_unavailable"]
    open_widget(page, stack.url + "/")
    dismiss_notice(page)
    picker = page.get_by_role("combobox", name="Language")
    # The nine languages, each in its own name.
    expect(picker.locator("option")).to_have_text(["Français", "Nederlands", "English", "Español", "Deutsch",
                                                   "Русский", "Türkçe", "Italiano", "العربية"])
    picker.select_option(label="العربية")
    expect(page.get_by_role("dialog")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("button", name="إرسال")).to_be_visible()
    page.get_by_role("combobox", name="اللغة").select_option(label="Türkçe")
    expect(page.get_by_role("button", name="Gönder")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_attribute("dir", "ltr")

    # "ok" alone would get the language menu; with Turkish picked, the gateway takes
    # Turkish (the bot is down here, so its apology comes, in Turkish).
    box = page.get_by_role("textbox", name="Mesajınız")  # noqa: RUF001 (Turkish dotless i)
    box.fill("ok")
    box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(tr_unavailable.split("{")[0].strip()[:30])
    key = widget_key(page, stack)
    assert in_db(stack, lambda s: get_by_key(s, key).language) == "tr"
    # The conversation holds the choice now: a reload keeps Turkish.
    page.reload()
    expect(page.get_by_role("button", name="Gönder")).to_be_visible()
    assert not any(":lang:" in k for k in widget_storage(page))


def test_a_tapped_quick_reply_shows_its_label_now_and_after_a_reload(page: Page, stack: Stack) -> None:
    from app.conversations.models import Direction, Message
    from sqlalchemy import select

    open_widget(page, stack.url + "/")
    say(page, "English please")
    expect(answers(page)).to_have_count(1)
    key = widget_key(page, stack)
    # A payload the gateway answers without the bot: a language switch.
    bot_says(stack, key, "Which language do you prefer?", [{"title": "Write to me in English",
                                                            "payload": "English please"}])
    page.get_by_role("group", name="Suggested answers").get_by_role("button", name="Write to me in English").click()
    mine = page.get_by_role("log").locator(".msg.in")
    expect(mine.last).to_have_text("You: Write to me in English")
    expect(answers(page)).to_have_count(3)
    expect(mine.last).to_have_text("You: Write to me in English")
    # The bot got the payload.
    stored = in_db(stack, lambda s: s.scalars(select(Message.text).where(Message.direction == Direction.inbound)
                                              .order_by(Message.id.desc())).first())
    assert stored == "English please"
    page.reload()
    expect(answers(page)).to_have_count(3)
    expect(mine).to_have_text(["You: English please", "You: Write to me in English"])


def test_many_times_as_buttons_fit_a_phone_and_older_ones_go(new_page, stack: Stack, screenshot) -> None:
    page = new_page(PHONE)
    open_widget(page, stack.url + "/")
    dismiss_notice(page)
    say(page, "English please")
    expect(answers(page)).to_have_count(1)
    key = widget_key(page, stack)
    times = [f"{day} {hour}" for day in ("Thu 17 Dec", "Fri 18 Dec") for hour in ("09:00", "09:30", "10:00", "10:30")]
    bot_says(stack, key, "Next free times for the social permanence:",
             [{"title": t, "payload": str(i)} for i, t in enumerate(times, start=1)])
    group = page.get_by_role("group", name="Suggested answers")
    expect(group.get_by_role("button")).to_have_count(8)
    boxes = [b.bounding_box() for b in group.get_by_role("button").all()]
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # nothing off the side
        assert box["height"] >= 44  # a finger's size
    assert len({round(b["y"]) for b in boxes}) >= 3  # wrapped into rows
    assert page.evaluate("document.querySelector('hirondelle-chat').shadowRoot.querySelector('.log')"
                         ".scrollWidth") <= PHONE["width"]
    group.get_by_role("button").last.scroll_into_view_if_needed()
    expect(group.get_by_role("button").last).to_be_in_viewport()
    screenshot(page, "widget-phone-times")
    # A newer message from the assistant: the old list can no longer be tapped.
    bot_says(stack, key, "A counsellor will answer you soon.")
    expect(answers(page)).to_have_count(3)
    expect(page.get_by_role("group", name="Suggested answers")).to_have_count(0)


def test_a_tap_on_a_touch_screen_does_not_open_the_keyboard(new_page, stack: Stack) -> None:
    page = new_page(PHONE)  # is_mobile and has_touch
    open_widget(page, stack.url + "/")
    dismiss_notice(page)
    say(page, "English please")
    expect(answers(page)).to_have_count(1)
    bot_says(stack, widget_key(page, stack), "Which language?", [{"title": "English", "payload": "English please"}])
    page.get_by_role("group", name="Suggested answers").get_by_role("button", name="English").tap()
    expect(answers(page)).to_have_count(3)
    assert inner_focus(page) != "input"  # the text box (and so the keyboard) is not forced open
    assert inner_focus(page) == "log"    # and the focus did not fall out of the widget


def test_timestamps_are_the_visitors_local_time_from_the_servers_clock(new_page, stack: Stack) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from app.core.db import utcnow

    page = new_page(DESKTOP, locale="en-US", timezone_id="Asia/Tokyo")
    open_widget(page, stack.url + "/")
    say(page, "English please")
    expect(answers(page)).to_have_count(1)
    written = (utcnow() - timedelta(minutes=7)).replace(microsecond=0)
    bot_says(stack, widget_key(page, stack), "A message from seven minutes ago.", created_at=written)
    expect(answers(page)).to_have_count(2)
    tokyo = written.astimezone(ZoneInfo("Asia/Tokyo"))
    stamps = page.get_by_role("log").locator("time.stamp")
    expect(stamps.last).to_have_text(tokyo.strftime("%I:%M %p"))
    # From the history too, after a reload, with the server's instant in datetime.
    page.reload()
    expect(stamps).to_have_count(3)
    expect(stamps.last).to_have_text(tokyo.strftime("%I:%M %p"))
    assert page.evaluate("new Date(document.querySelector('hirondelle-chat').shadowRoot"
                         ".querySelectorAll('time.stamp')[2].dateTime).getTime()") == written.timestamp() * 1000


def test_the_privacy_notice_shows_once_in_the_visitors_language_and_can_be_found_again(new_page, stack: Stack,
                                                                                     screenshot) -> None:
    page = new_page(PHONE, locale="tr-TR")
    page.goto(stack.url + "/")
    page.get_by_role("button", name="Sohbeti aç").tap()
    notice = page.get_by_role("region", name="Verileriniz")
    # What is kept, for how long (the gateway's RETENTION_DAYS: 90 in these tests), how to erase.
    expect(notice).to_contain_text("mesajlarını 90 gün boyunca saklıyoruz")  # noqa: RUF001 (Turkish)
    expect(notice).to_contain_text("Verilerimi sil")
    expect(notice).to_contain_text("verilerimi sil")
    # Opened by a tap: the phone's keyboard does not pop up over it.
    assert inner_focus(page) != "input"
    screenshot(page, "widget-phone-privacy-notice")
    notice.get_by_role("button", name="Tamam").click()
    expect(notice).to_be_hidden()
    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("region")).to_have_count(0)  # once per device
    # Found again in the menu.
    page.get_by_role("button", name="Menü").click()
    page.get_by_role("button", name="Verileriniz").click()
    expect(page.get_by_role("region", name="Verileriniz")).to_contain_text("90 gün")


def test_forget_on_this_device_shows_the_reference_first_and_keeps_the_appointment(new_page, stack: Stack,
                                                                                  screenshot) -> None:
    page = new_page(PHONE)
    open_widget(page, stack.url + "/")
    dismiss_notice(page)
    say(page, "English please")
    expect(answers(page)).to_have_count(1)
    key = widget_key(page, stack)
    book(stack, key, "FGT7K2")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    screenshot(page, "widget-phone-menu")
    page.get_by_role("button", name="Forget this conversation on this device").click()
    sheet = page.get_by_role("region", name="Forget this conversation on this device")
    expect(sheet).to_contain_text("write down your appointment reference")
    expect(sheet).to_contain_text("FGT7K2")
    expect(sheet).to_contain_text("Free legal permanence")
    # Changing one's mind keeps everything.
    sheet.get_by_role("button", name="No, go back").click()
    expect(answers(page)).to_have_count(1)
    menu.click()
    page.get_by_role("button", name="Forget this conversation on this device").click()
    page.get_by_role("button", name="Yes, forget").click()
    expect(page.get_by_role("region")).to_contain_text("no longer shows the conversation")
    expect(page.get_by_role("log").locator(".msg")).to_have_count(0)
    assert widget_storage(page) == []  # no token, nothing of the conversation on this device
    # The service keeps the conversation and the appointment.
    assert conversation_exists(stack, key)
    assert appointment_status(stack, "FGT7K2") == "booked"
    page.reload()
    expect(page.get_by_role("log").locator(".msg")).to_have_count(0)


def test_delete_my_data_from_the_menu_erases_and_cancels_after_a_confirmation(new_page, stack: Stack,
                                                                            screenshot) -> None:
    """In Arabic, on a phone: the whole flow reads right to left."""
    page = new_page(PHONE, locale="ar")
    page.goto(stack.url + "/")
    page.get_by_role("button", name="افتح المحادثة").tap()
    dismiss_notice(page)
    box = page.get_by_role("textbox", name="رسالتك")
    box.fill("بالعربية")
    box.press("Enter")
    expect(answers(page)).to_have_count(1)
    key = widget_key(page, stack)
    book(stack, key, "DEL9Q4", days=4)
    page.get_by_role("button", name="القائمة").tap()
    page.get_by_role("button", name="احذف بياناتي").tap()
    sheet = page.get_by_role("region", name="احذف بياناتي")
    expect(sheet).to_contain_text("ستُحذف كل رسائلك من خدمتنا")
    expect(sheet).to_contain_text("ستُلغى مواعيدك القادمة")  # upcoming appointments will be cancelled
    expect(sheet).to_contain_text("DEL9Q4")
    screenshot(page, "widget-phone-delete-arabic")
    assert conversation_exists(stack, key)  # nothing happens before the yes
    sheet.get_by_role("button", name="نعم، احذف").tap()
    expect(page.get_by_role("region")).to_contain_text("حُذفت بياناتك")
    expect(page.get_by_role("log").locator(".msg")).to_have_count(0)
    assert widget_storage(page) == []
    assert not conversation_exists(stack, key)
    assert appointment_status(stack, "DEL9Q4") == "cancelled"
