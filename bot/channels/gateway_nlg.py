"""Rasa's NLG callback to the gateway, with a body that does not grow with the conversation.

Rasa's CallbackNaturalLanguageGenerator sends `tracker.current_state(EventVerbosity.ALL)`
(every event of the conversation) with each response, and serialises it twice (once for
a debug log line built even when debug is off). The gateway reads only the sender, the
latest message, and the last two user messages (the language in their metadata; whether
a "ciao" is the first message): api/app/nlg/router.py. So this sends the tracker's state
without its events, plus those two user events: the same answer, a body of a few KB.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.nlg.callback import CallbackNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

USER_EVENTS_SENT = 2


def recent_user_events(tracker: DialogueStateTracker, count: int = USER_EVENTS_SENT) -> List[Dict[Text, Any]]:
    found: List[Dict[Text, Any]] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            found.append(event.as_dict())
            if len(found) == count:
                break
    return found[::-1]


def request_body(response: Text, tracker: DialogueStateTracker, output_channel: Text, **kwargs: Any
                 ) -> Dict[Text, Any]:
    """rasa.core.nlg.callback.nlg_request_format, with only the recent user events."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = recent_user_events(tracker)
    response_id = kwargs.pop("response_id", None)
    return {"response": response, "id": response_id, "arguments": kwargs, "tracker": state,
            "channel": {"name": output_channel}}


class GatewayNaturalLanguageGenerator(CallbackNaturalLanguageGenerator):
    """endpoints.yml: nlg: {type: bot.channels.gateway_nlg.GatewayNaturalLanguageGenerator, url: ..., token: ...}"""

    def __init__(self, endpoint_config: EndpointConfig, domain: Domain | None = None) -> None:
        super().__init__(endpoint_config)

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text,
                       **kwargs: Any) -> Dict[Text, Any]:
        domain_responses = kwargs.pop("domain_responses", None)
        kwargs["response_id"] = self.fetch_response_id(utter_action, tracker, output_channel, domain_responses)
        body = request_body(utter_action, tracker, output_channel, **kwargs)
        response = await self.nlg_endpoint.request(method="post", json=body, timeout=DEFAULT_REQUEST_TIMEOUT)
        if isinstance(response, dict) and self.validate_response(response):
            return response
        raise RasaException("NLG web endpoint returned an invalid response.")
