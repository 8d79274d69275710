"""Booking, moving, cancelling and checking appointments in conversation."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import gateway
from actions.context import channel_of, language_of, latest_text
from actions.helpers import clean_first_name, find_reference, parse_choice, parse_service

MAX_OPTIONS = 5
BOOKING_SLOTS = ("service", "slot_choice", "first_name", "contact", "offered_slots")


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


def _detail(resp: Any) -> str:
    try:
        detail = resp.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return detail if isinstance(detail, str) else ""


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
        if channel_of(tracker) in ("sms", "whatsapp"):
            # The number they write from is known to the gateway: never ask it again.
            return [s for s in domain_slots if s != "contact"]
        return domain_slots

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
        offered: List[str] = tracker.get_slot("offered_slots") or []
        index = parse_choice(text, len(offered))
        if index:
            return {"slot_choice": offered[index - 1]}
        service = tracker.get_slot("service") or "social"
        switched = parse_service(text) if not text.strip().isdigit() else None
        if switched and switched != service and tracker.get_slot("booking_mode") != "move":
            # "actually the lawyer": change the service, keep the booking going.
            return {"service": switched, "slot_choice": None, "offered_slots": None}
        try:
            resp = await gateway.call("POST", "/api/slots/resolve", json={
                "service": service, "text": text, "language": language_of(tracker)})
            matches = _starts(_slot_list(resp.json())) if resp.status_code == 200 else []
        except gateway.GatewayError:
            matches = []
        if len(matches) == 1:
            return {"slot_choice": matches[0]}
        if matches:
            return {"slot_choice": None, "offered_slots": matches}
        dispatcher.utter_message(response="utter_slot_not_understood")
        return {"slot_choice": None}

    async def validate_first_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        if not _asked(tracker, "first_name"):
            return {"first_name": None}
        return {"first_name": clean_first_name(str(value or ""))}

    async def validate_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        if not _asked(tracker, "contact"):
            return {"contact": None}
        text = str(value or "").strip()[:200]
        if not text:
            dispatcher.utter_message(response="utter_contact_invalid")
            return {"contact": None}
        # One validation, the gateway's: the number is read as Belgian, then as a number
        # of the country the language suggests ("3331234567" in Italian).
        try:
            resp = await gateway.call("POST", "/api/phone", json={"text": text, "language": language_of(tracker)})
        except gateway.GatewayError:
            return {"contact": text}  # the booking itself will say what went wrong
        if resp.status_code == 200:
            return {"contact": resp.json()["e164"]}
        dispatcher.utter_message(response="utter_contact_invalid")
        return {"contact": None}


class ActionSubmitAppointment(Action):
    def name(self) -> Text:
        return "action_submit_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        start = tracker.get_slot("slot_choice")
        service = tracker.get_slot("service") or "social"
        moving = tracker.get_slot("booking_mode") == "move"
        reference = tracker.get_slot("reference")
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
                if tracker.get_slot("contact"):
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
            dispatcher.utter_message(response=response, reference=data["reference"], start=data["start"],
                                     service_code=data.get("service", service))
            return [SlotSet(s, None) for s in BOOKING_SLOTS] + [
                SlotSet("booking_mode", None), SlotSet("pending_action", None), SlotSet("reference", None),
                SlotSet("phone_last4", None)]
        if resp.status_code == 422 and _detail(resp).startswith("contact_phone"):
            # The number was refused, not the time: never say "taken" for it.
            dispatcher.utter_message(response="utter_contact_invalid")
            return [SlotSet("contact", None), FollowupAction("appointment_form")]
        if resp.status_code in (409, 422):
            # Taken meanwhile (or no longer valid): offer the next free times again.
            dispatcher.utter_message(response="utter_slot_taken")
            nxt = _starts(_slot_list(resp.json()))
            return [SlotSet("slot_choice", None), SlotSet("offered_slots", nxt or None),
                    FollowupAction("appointment_form")]
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
                                   SlotSet("phone_last4", None)]
        ref = find_reference(latest_text(tracker))
        try:
            if ref is None:
                resp = await gateway.call("GET", f"/api/conversations/{tracker.sender_id}/appointments")
                items = _slot_list(resp.json()) if resp.status_code == 200 else []
                ref = items[0]["reference"] if items else None
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

    async def validate_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        ref = find_reference(str(value or ""))
        try:
            status = (await _lookup(tracker, ref))[0] if ref else "not_found"
        except gateway.GatewayError:
            status = "not_found"
        if status == "not_found":
            dispatcher.utter_message(response="utter_reference_not_found")
            return {"reference": None}
        return {"reference": ref, "phone_last4": _proof_slot(status)}

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "")
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
        done = [SlotSet("pending_action", None), SlotSet("reference", None), SlotSet("phone_last4", None)]
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
    if named and not matches:
        dispatcher.utter_message(response="utter_move_day_not_free")
    return matches or None


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
