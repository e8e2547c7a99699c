"""Partner notifications are sent by the outbox engine (issue 16): every notification still
pending gets its outbox message (the same id as its ``webhook-id``).
"""

from alpr_common import delivery_log_outbox_revision

revision: str = "sh3notificationsonoutbox"
down_revision: str | None = "sh2outboxmessages"

upgrade, downgrade = delivery_log_outbox_revision(
    "sharing", "notifications", "notification", "notification_id"
)
