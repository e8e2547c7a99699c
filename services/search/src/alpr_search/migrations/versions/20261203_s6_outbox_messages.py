"""The outbox of ledger events of this service's changes (issue 16): written in the change's
own transaction, sent by the outbox dispatcher.
"""

from alpr_common import outbox_revision

revision: str = "s6outboxmessages"
down_revision: str | None = "s5modelversion"

upgrade, downgrade = outbox_revision("search", "outbox_messages")
