"""ALPR audit service.

Append-only, hash-chained audit ledger; sample audits; SB 34 reports; transparency.
"""

SERVICE = "audit"
SCHEMA = "audit"
HAS_MIGRATIONS = True
DEV_PORT = 8005
