"""Booking, moving, cancelling and checking appointments in conversation."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import gateway
from actions.context import channel_of, language_of, latest_text
from actions.helpers import (
    clean_first_name,
    find_reference,
    parse_choice,
    parse_service,
    says_no_phone,
    yes_or_no,
)

MAX_OPTIONS = 5
BOOKING_SLOTS = ("service", "slot_choice", "first_name", "contact", "offered_slots", "booking_confirmed", "refusals")
# Markers a form slot can hold instead of a value. STUCK: the same question failed
# three times; the form ends and a counsellor is offered instead of a fourth refusal.
# NO_PHONE_GIVEN: booking on the web without a phone. NO_REFERENCE: "I have none".
STUCK, NO_PHONE_GIVEN, NO_REFERENCE = "=stuck", "=none", "=none"
MAX_REFUSALS = 2
# Intents that, at the summary, are not an answer: a question (answered, then the
# summary again), a counsellor, a goodbye or "cancel" (their own rules).
NOT_AN_ANSWER = ("ask_voluntary_return", "ask_reintegration", "ask_eligibility", "ask_social_hours",
                 "ask_legal_hours", "ask_contact", "ask_languages", "ask_home_visit", "ask_order_to_leave",
                 "ask_legal_advice", "ask_cost", "ask_confidentiality", "request_counsellor", "goodbye",
                 "cancel_appointment", "check_appointment")


def _intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _refuse(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str,
            **kwargs: Any) -> Dict[Text, Any]:
    """A refused answer, said at most twice in a row; the third time the form ends
    and a counsellor is offered (never the same refusal again and again)."""
    count = int(tracker.get_slot("refusals") or 0) + 1
    if count > MAX_REFUSALS:
        return {slot: STUCK, "refusals": 0}
    dispatcher.utter_message(response=response, **kwargs)
    return {slot: None, "refusals": count}


def _slot_list(body: Any) -> List[Dict[str, Any]]:
    if isinstance(body, dict):
        for key in ("slots", "next_free_slots", "free_slots", "appointments"):
            if isinstance(body.get(key), list):
                return body[key]
        detail = body.get("detail")
        if isinstance(detail, dict):
            return _slot_list(detail)
        return []
    return body if isinstance(body, list) else []


def _field(resp: Any, name: str) -> str:
    """A string field of a JSON error body ("detail", "code"), or ""."""
    try:
        value = resp.json().get(name)
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _starts(items: List[Any]) -> List[str]:
    return [item["start"] if isinstance(item, dict) else str(item) for item in items][:MAX_OPTIONS]


async def free_slots(service: str) -> List[str]:
    resp = await gateway.call("GET", "/api/slots", params={"service": service})
    resp.raise_for_status()
    return _starts(_slot_list(resp.json()))


def _asked(tracker: Tracker, slot: str) -> bool:
    """Free text fills a slot only as the answer to its own question: when a form
    starts, Rasa offers the opening message ("I want an appointment") to every slot."""
    return tracker.get_slot("requested_slot") == slot


class ActionStartBooking(Action):
    def name(self) -> Text:
        return "action_start_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events: List[EventType] = [SlotSet(s, None) for s in BOOKING_SLOTS]
        events += [SlotSet("booking_mode", "book"), SlotSet("pending_action", None), SlotSet("reference", None),
                   SlotSet("phone_last4", None)]
        service = parse_service(latest_text(tracker))
        if service and not latest_text(tracker).strip().isdigit():
            events.append(SlotSet("service", service))  # "an appointment with the lawyer"
        return events


class ActionAskAppointmentFormSlotChoice(Action):
    """Offers the next free times (or the ones matching the user's words)."""

    def name(self) -> Text:
        return "action_ask_appointment_form_slot_choice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        service = tracker.get_slot("service") or "social"
        offered = tracker.get_slot("offered_slots") or []
        if not offered:
            try:
                offered = await free_slots(service)
            except Exception:  # noqa: BLE001  (gateway down or refused)
                dispatcher.utter_message(response="utter_booking_failed")
                return [ActiveLoop(None), SlotSet("requested_slot", None)]
        if not offered:
            dispatcher.utter_message(response="utter_no_free_slots", service_code=service)
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        dispatcher.utter_message(response="utter_ask_appointment_form_slot", service_code=service,
                                 starts=",".join(offered))
        return [SlotSet("offered_slots", offered)]


class ValidateAppointmentForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_appointment_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("booking_mode") == "move":
            return ["slot_choice"]
        slots = domain_slots
        if channel_of(tracker) in ("sms", "whatsapp"):
            # The number they write from is known to the gateway: never ask it again.
            slots = [s for s in domain_slots if s != "contact"]
        for i, slot in enumerate(slots):
            if tracker.get_slot(slot) == STUCK:
                return slots[:i + 1]  # the form ends here; the submit offers a counsellor
        return slots

    async def validate_service(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        if value in ("social", "legal"):  # set by an action (move, "appointment with the lawyer")
            return {"service": value}
        if not _asked(tracker, "service"):
            return {"service": None}
        service = parse_service(str(value or ""))
        return {"service": service, "offered_slots": None}

    async def validate_slot_choice(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if not _asked(tracker, "slot_choice"):
            return {"slot_choice": None}
        text = str(value or "")
        if text == STUCK:
            return {"slot_choice": STUCK}
        offered: List[str] = tracker.get_slot("offered_slots") or []
        index = parse_choice(text, len(offered))
        if index:
            return {"slot_choice": offered[index - 1], "refusals": 0}
        service = tracker.get_slot("service") or "social"
        switched = parse_service(text) if not text.strip().isdigit() else None
        if switched and switched != service and tracker.get_slot("booking_mode") != "move":
            # "actually the lawyer": change the service, keep the booking going.
            return {"service": switched, "slot_choice": None, "offered_slots": None}
        try:
            resp = await gateway.call("POST", "/api/slots/resolve", json={
                "service": service, "text": text, "language": language_of(tracker)})
            body = resp.json() if resp.status_code == 200 else {}
        except (gateway.GatewayError, ValueError):
            body = {}
        matches = _starts(_slot_list(body))
        if len(matches) == 1:
            return {"slot_choice": matches[0], "refusals": 0}
        if matches:
            return {"slot_choice": None, "offered_slots": matches, "refusals": 0}
        nearest = _explain_day(dispatcher, body, service)
        if nearest:
            # "demain" on a Sunday: why not, and the free times nearest to that day.
            return {"slot_choice": None, "offered_slots": nearest, "refusals": 0}
        return _refuse(dispatcher, tracker, "slot_choice", "utter_slot_not_understood")

    async def validate_first_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        if not _asked(tracker, "first_name"):
            return {"first_name": None}
        if value == STUCK:
            return {"first_name": STUCK}
        name = clean_first_name(str(value or ""))
        if name:
            return {"first_name": name, "refusals": 0}
        return _refuse(dispatcher, tracker, "first_name", "utter_first_name_invalid")

    async def extract_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict[Text, Any]:
        """"I have no phone" (or a plain "no") to the phone question: book without one."""
        if not _asked(tracker, "contact"):
            return {}
        text = latest_text(tracker)
        if says_no_phone(text) or _intent(tracker) == "deny" or yes_or_no(text) == "no":
            return {"contact": NO_PHONE_GIVEN}
        return {}

    async def extract_booking_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        """The answer to the summary: yes, no, or something else (asked again)."""
        if not _asked(tracker, "booking_confirmed"):
            return {}
        answer = yes_or_no(latest_text(tracker))
        intent = _intent(tracker)
        if answer is None and intent in ("affirm", "deny"):
            answer = "yes" if intent == "affirm" else "no"
        if answer:
            return {"booking_confirmed": answer}
        if intent in NOT_AN_ANSWER:
            return {}  # its own rule answers; the summary is asked again
        return {"booking_confirmed": "?"}

    async def validate_booking_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        if value in ("yes", "no", STUCK):
            return {"booking_confirmed": value, "refusals": 0}
        if not _asked(tracker, "booking_confirmed"):
            return {"booking_confirmed": None}  # reset by an action, not answered
        return _refuse(dispatcher, tracker, "booking_confirmed", "utter_answer_yes_no")

    async def validate_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        if not _asked(tracker, "contact"):
            return {"contact": None}
        text = str(value or "").strip()[:200]
        if text in (NO_PHONE_GIVEN, STUCK):
            return {"contact": text, "refusals": 0}
        if not text:
            return _refuse(dispatcher, tracker, "contact", "utter_contact_invalid")
        # One validation, the gateway's: the number is read as Belgian, then as a number
        # of the country the language suggests ("3331234567" in Italian). The summary
        # reads it back in international format before anything is booked.
        try:
            resp = await gateway.call("POST", "/api/phone", json={"text": text, "language": language_of(tracker)})
        except gateway.GatewayError:
            return {"contact": text}  # the booking itself will say what went wrong
        if resp.status_code == 200:
            return {"contact": resp.json()["e164"], "refusals": 0}
        return _refuse(dispatcher, tracker, "contact", "utter_contact_invalid")


def _explain_day(dispatcher: CollectingDispatcher, body: Dict[str, Any], service: str) -> List[str]:
    """When the user named a day with nothing free on it (closed, full, over), say so;
    returns the free times nearest to that day (empty: no day was named)."""
    note = body.get("day") if isinstance(body, dict) else None
    status = note.get("status") if isinstance(note, dict) else None
    if status not in ("closed", "full", "past", "time_not_free"):
        return []
    response = "utter_time_not_free" if status == "time_not_free" else f"utter_day_{status}"
    dispatcher.utter_message(response=response, day=str(note.get("date")), service_code=service)
    return _starts(note.get("nearest") or [])


class ActionAskAppointmentFormBookingConfirmed(Action):
    """The summary before booking: service, day, time, name and the phone read back in
    international format (or what booking without a phone means), yes or no."""

    def name(self) -> Text:
        return "action_ask_appointment_form_booking_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        args = {"service_code": tracker.get_slot("service") or "social", "start": tracker.get_slot("slot_choice"),
                "first_name": tracker.get_slot("first_name") or ""}
        contact = tracker.get_slot("contact")
        if channel_of(tracker) in ("sms", "whatsapp"):
            dispatcher.utter_message(response="utter_ask_booking_confirm_own_phone", **args)
        elif contact and contact != NO_PHONE_GIVEN:
            dispatcher.utter_message(response="utter_ask_booking_confirm", phone_number=contact, **args)
        else:
            dispatcher.utter_message(response="utter_ask_booking_confirm_no_phone", **args)
        return []


class ActionTellAppointments(Action):
    """"When is my appointment?" asked in the middle of something: this conversation's
    next appointment, or that there is none yet."""

    def name(self) -> Text:
        return "action_tell_appointments"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        try:
            resp = await gateway.call("GET", f"/api/conversations/{tracker.sender_id}/appointments")
            items = _slot_list(resp.json()) if resp.status_code == 200 else []
        except (gateway.GatewayError, ValueError):
            items = None
        if items is None:
            dispatcher.utter_message(response="utter_booking_failed")
        elif not items:
            dispatcher.utter_message(response="utter_no_appointment_yet")
        else:
            first = items[0]
            dispatcher.utter_message(response="utter_appointment_details", reference=first["reference"],
                                     start=first["start"], service_code=first.get("service"))
        return []


class ActionSubmitAppointment(Action):
    def name(self) -> Text:
        return "action_submit_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        start = tracker.get_slot("slot_choice")
        service = tracker.get_slot("service") or "social"
        moving = tracker.get_slot("booking_mode") == "move"
        reference = tracker.get_slot("reference")
        reset = [SlotSet(s, None) for s in BOOKING_SLOTS] + [
            SlotSet("booking_mode", None), SlotSet("pending_action", None), SlotSet("reference", None),
            SlotSet("phone_last4", None)]
        if STUCK in (tracker.get_slot(s) for s in BOOKING_SLOTS):
            # Three times not understood: a person helps instead of a fourth refusal.
            dispatcher.utter_message(response="utter_stuck_offer_counsellor")
            return reset + [SlotSet("counsellor_offered", True)]
        if not moving and tracker.get_slot("booking_confirmed") != "yes":
            dispatcher.utter_message(response="utter_booking_not_made")
            return reset
        if moving and reference:
            # Never move without the user seeing the new time and saying yes (a reflexive
            # "1" moved appointments to a time nobody had read).
            if tracker.get_slot("pending_action") != "confirm_move":
                dispatcher.utter_message(response="utter_ask_move_confirm", reference=reference, start=start,
                                         service_code=service)
                return [SlotSet("pending_action", "confirm_move")]
            if (tracker.latest_message.get("intent") or {}).get("name") != "affirm":
                dispatcher.utter_message(response="utter_cancel_kept")
                return [SlotSet(s, None) for s in BOOKING_SLOTS] + [
                    SlotSet("booking_mode", None), SlotSet("pending_action", None), SlotSet("reference", None),
                    SlotSet("phone_last4", None)]
        try:
            if moving and reference:
                resp = await gateway.call("PATCH", f"/api/appointments/{reference}", json={"start": start},
                                          headers=_owner_headers(tracker, tracker.get_slot("phone_last4")))
            else:
                body = {"service": service, "start": start, "first_name": tracker.get_slot("first_name"),
                        "conversation_id": tracker.sender_id, "language": language_of(tracker)}
                if tracker.get_slot("contact") not in (None, NO_PHONE_GIVEN):
                    body["contact_phone"] = tracker.get_slot("contact")
                # One booking per conversation and chosen time: a retried call books once.
                key = f"{tracker.sender_id}:{service}:{start}"
                resp = await gateway.call("POST", "/api/appointments", json=body, headers={"Idempotency-Key": key})
        except gateway.GatewayError:
            dispatcher.utter_message(response="utter_booking_failed")
            return [SlotSet(s, None) for s in BOOKING_SLOTS] + [SlotSet("booking_mode", None)]

        if resp.status_code in (200, 201):
            data = resp.json()
            response = "utter_moved" if moving else "utter_booking_confirmed"
            if not moving and tracker.get_slot("contact") == NO_PHONE_GIVEN:
                response = "utter_booking_confirmed_no_phone"  # keep the reference: no reminder, no SMS code
            dispatcher.utter_message(response=response, reference=data["reference"], start=data["start"],
                                     service_code=data.get("service", service))
            return [SlotSet(s, None) for s in BOOKING_SLOTS] + [
                SlotSet("booking_mode", None), SlotSet("pending_action", None), SlotSet("reference", None),
                SlotSet("phone_last4", None)]
        if resp.status_code == 422 and _field(resp, "detail").startswith("contact_phone"):
            # The number was refused, not the time: never say "taken" for it.
            dispatcher.utter_message(response="utter_contact_invalid")
            return [SlotSet("contact", None), SlotSet("booking_confirmed", None), FollowupAction("appointment_form")]
        code = _field(resp, "code")
        if resp.status_code == 409 and code == "quota":
            # The person already holds the most upcoming appointments: cancel or move one.
            dispatcher.utter_message(response="utter_booking_quota")
            return reset
        if resp.status_code == 429:
            dispatcher.utter_message(response="utter_booking_too_many")
            return reset
        if resp.status_code in (409, 422):
            # Taken meanwhile (or no longer valid): offer the next free times again.
            dispatcher.utter_message(response="utter_slot_taken")
            nxt = _starts(_slot_list(resp.json()))
            return [SlotSet("slot_choice", None), SlotSet("offered_slots", nxt or None),
                    SlotSet("booking_confirmed", None), FollowupAction("appointment_form")]
        dispatcher.utter_message(response="utter_booking_failed")
        return [SlotSet(s, None) for s in BOOKING_SLOTS] + [SlotSet("booking_mode", None)]


# Proof that an appointment found by reference is the user's (slot phone_last4): these
# markers, or the four digits themselves. The gateway decides; the actions pass it on.
OWN, NO_PHONE, LOCKED = "=own", "=no_phone", "=locked"


def _owner_headers(tracker: Tracker, proof: Optional[str] = None) -> Dict[str, str]:
    digits = proof if proof and proof.isdigit() else ""
    return {"X-Conversation-Id": tracker.sender_id, "X-Phone-Last4": digits}


async def _lookup(tracker: Tracker, reference: str, proof: Optional[str] = None) -> Tuple[str, Optional[Dict[str, Any]]]:
    """("ok", appointment) or (why not, None): not_found, proof_required, proof_wrong,
    no_phone, too_many_attempts. A cancelled appointment counts as not found."""
    resp = await gateway.call("GET", f"/api/appointments/{reference}", headers=_owner_headers(tracker, proof))
    if resp.status_code == 200:
        data = resp.json()
        return ("ok", data) if data.get("status", "booked") == "booked" else ("not_found", None)
    if resp.status_code in (403, 429):
        try:
            code = resp.json().get("code")
        except ValueError:
            code = None
        return (code or "proof_required", None)
    return ("not_found", None)


def _proof_slot(status: str) -> Optional[str]:
    """The phone_last4 value a lookup without digits leads to (None: ask the digits)."""
    return {"ok": OWN, "no_phone": NO_PHONE, "too_many_attempts": LOCKED}.get(status)


class ActionFindAppointment(Action):
    """Finds the appointment the user means: a reference in the message, else this
    conversation's next appointment; otherwise the reference form asks for it."""

    def name(self) -> Text:
        return "action_find_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        pending = {"cancel_appointment": "cancel", "move_appointment": "move"}.get(intent, "check")
        events: List[EventType] = [SlotSet("pending_action", pending), SlotSet("reference", None),
                                   SlotSet("phone_last4", None), SlotSet("refusals", None)]
        ref = find_reference(latest_text(tracker))
        try:
            if ref is None:
                resp = await gateway.call("GET", f"/api/conversations/{tracker.sender_id}/appointments")
                items = _slot_list(resp.json()) if resp.status_code == 200 else []
                ref = items[0]["reference"] if items else None
                if ref is None:
                    # "annuler" with nothing booked here: say so; the question for the
                    # reference says how to answer without one.
                    dispatcher.utter_message(response="utter_no_appointment_here")
            if ref:
                status, _ = await _lookup(tracker, ref)
                if status != "not_found":
                    # Someone else's reference: nothing is shown before the phone digits.
                    events += [SlotSet("reference", ref), SlotSet("phone_last4", _proof_slot(status))]
        except gateway.GatewayError:
            pass
        return events


class ValidateReferenceForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_reference_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("reference") in (NO_REFERENCE, STUCK):
            return ["reference"]  # "I have no reference": the form ends, a counsellor is offered
        return domain_slots

    async def validate_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"reference": None}  # reset by an action when the form starts: not an answer
        text = str(value)
        if text in (NO_REFERENCE, STUCK):
            return {"reference": text}
        ref = find_reference(text)
        if ref is None and (_intent(tracker) == "deny" or yes_or_no(text) == "no"):
            return {"reference": NO_REFERENCE, "refusals": 0}
        try:
            status = (await _lookup(tracker, ref))[0] if ref else "not_found"
        except gateway.GatewayError:
            status = "not_found"
        if status == "not_found":
            return _refuse(dispatcher, tracker, "reference", "utter_reference_not_found")
        return {"reference": ref, "phone_last4": _proof_slot(status), "refusals": 0}

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"phone_last4": None}  # reset by an action: not an answer
        text = str(value)
        if text in (OWN, NO_PHONE, LOCKED):
            return {"phone_last4": text}
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) < 4:
            dispatcher.utter_message(response="utter_phone_last4_invalid")
            return {"phone_last4": None}
        digits = digits[-4:]
        try:
            status = (await _lookup(tracker, tracker.get_slot("reference") or "", digits))[0]
        except gateway.GatewayError:
            status = "not_found"
        if status == "ok":
            return {"phone_last4": digits}
        if status == "proof_wrong":
            dispatcher.utter_message(response="utter_phone_last4_wrong")
            return {"phone_last4": None}
        if status == "not_found":
            dispatcher.utter_message(response="utter_reference_not_found")
            return {"reference": None, "phone_last4": None}
        return {"phone_last4": NO_PHONE if status == "no_phone" else LOCKED}


class ActionAfterReference(Action):
    def name(self) -> Text:
        return "action_after_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        ref = tracker.get_slot("reference")
        pending = tracker.get_slot("pending_action")
        proof = tracker.get_slot("phone_last4")
        done = [SlotSet("pending_action", None), SlotSet("reference", None), SlotSet("phone_last4", None),
                SlotSet("refusals", None)]
        if ref in (NO_REFERENCE, STUCK):
            # No reference, or three wrong ones: a counsellor can find the appointment.
            dispatcher.utter_message(response="utter_no_reference_offer_counsellor")
            return done + [SlotSet("counsellor_offered", True)]
        if proof in (NO_PHONE, LOCKED):
            dispatcher.utter_message(response="utter_reference_no_phone" if proof == NO_PHONE
                                     else "utter_reference_locked")
            return done
        try:
            status, data = await _lookup(tracker, ref, proof) if ref else ("not_found", None)
        except gateway.GatewayError:
            status, data = "not_found", None
        if status != "ok" or not data:
            dispatcher.utter_message(response="utter_reference_locked" if status == "too_many_attempts"
                                     else "utter_reference_not_found")
            return done
        args = {"reference": ref, "start": data["start"], "service_code": data.get("service")}
        if pending == "cancel":
            dispatcher.utter_message(response="utter_ask_cancel_confirm", **args)
            return []
        if pending == "move":
            offered = await _times_asked_for_move(dispatcher, tracker, data.get("service") or "social")
            return [SlotSet("booking_mode", "move"), SlotSet("service", data.get("service")),
                    SlotSet("slot_choice", None), SlotSet("offered_slots", offered), SlotSet("pending_action", None),
                    FollowupAction("appointment_form")]
        dispatcher.utter_message(response="utter_appointment_details", **args)
        return done


class ActionConfirmMove(ActionSubmitAppointment):
    """The user's yes or no to "Move the appointment ... to ...?": moves it, or keeps it."""

    def name(self) -> Text:
        return "action_confirm_move"


async def _times_asked_for_move(dispatcher: CollectingDispatcher, tracker: Tracker, service: str) -> Optional[List[str]]:
    """The free times matching the day or time the user asked for when asking to move
    ("move it to Saturday"), or None (the form then offers the next free times). A day
    named with nothing free (closed, full) is said, not silently replaced."""
    asked = next((e.get("text") or "" for e in reversed(tracker.events) if e.get("event") == "user"
                  and ((e.get("parse_data") or {}).get("intent") or {}).get("name") == "move_appointment"), "")
    if not asked.strip():
        return None
    try:
        resp = await gateway.call("POST", "/api/slots/resolve", json={
            "service": service, "text": asked[:2000], "language": language_of(tracker)})
    except gateway.GatewayError:
        return None
    if resp.status_code != 200:
        return None
    body = resp.json()
    named = any(v is not None for v in (body.get("understood") or {}).values())
    matches = _starts(_slot_list(body))
    if matches:
        return matches
    nearest = _explain_day(dispatcher, body, service)
    if nearest:
        return nearest
    if named:
        dispatcher.utter_message(response="utter_move_day_not_free")
    return None


class ActionCancelAppointment(Action):
    """Runs on the user's yes or no to "Cancel the appointment ...?"."""

    def name(self) -> Text:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        ref = tracker.get_slot("reference")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        done = [SlotSet("pending_action", None), SlotSet("reference", None), SlotSet("phone_last4", None)]
        if intent != "affirm" or not ref:
            dispatcher.utter_message(response="utter_cancel_kept")
            return done
        try:
            resp = await gateway.call("DELETE", f"/api/appointments/{ref}",
                                      headers=_owner_headers(tracker, tracker.get_slot("phone_last4")))
        except gateway.GatewayError:
            dispatcher.utter_message(response="utter_booking_failed")
            return done
        if resp.status_code in (200, 204):
            dispatcher.utter_message(response="utter_cancelled", reference=ref)
        else:
            dispatcher.utter_message(response="utter_reference_not_found")
        return done
