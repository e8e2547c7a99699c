"""The outbox topic of webhook deliveries (a module of its own: SQL in two packages names it)."""

WEBHOOK_TOPIC = "webhook"
