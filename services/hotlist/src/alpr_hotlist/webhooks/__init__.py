"""Webhooks: alerts pushed to subscribers, signed per the Standard Webhooks scheme, retried."""
