"""Webhook deliveries are sent by the outbox engine (issue 16): every delivery still pending
gets its outbox message (the same id as its ``webhook-id``).
"""

from alpr_common import delivery_log_outbox_revision

revision: str = "h4webhooksonoutbox"
down_revision: str | None = "h3outboxmessages"

upgrade, downgrade = delivery_log_outbox_revision("hotlist", "deliveries", "webhook", "delivery_id")
