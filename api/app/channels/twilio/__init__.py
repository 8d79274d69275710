"""SMS and WhatsApp through Twilio: signed inbound webhooks answered with TwiML,
delivery status callbacks, and the REST API used by the outbox for later messages."""
