"""ALPR sharing service.

Inter-agency sharing: agencies, MOUs, written requests, approvals and releases.
"""

SERVICE = "sharing"
SCHEMA = "sharing"
HAS_MIGRATIONS = True
DEV_PORT = 8006
