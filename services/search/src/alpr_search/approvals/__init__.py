"""Search requests (issue 17, warrant-style tiers): a supervisor's prior approval of one search,
decided like a sharing request (the requester never decides it, a supervisor of the same agency
does, on the ledger), valid once and for a limited time."""
