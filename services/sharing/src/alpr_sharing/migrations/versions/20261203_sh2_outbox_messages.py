"""The outbox of ledger events of this service's changes (issue 16): written in the change's
own transaction, sent by the outbox dispatcher.
"""

from alpr_common import outbox_revision

revision: str = "sh2outboxmessages"
down_revision: str | None = "sh1sharing"

upgrade, downgrade = outbox_revision("sharing", "outbox_messages")
