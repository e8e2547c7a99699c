"""ALPR hotlist service.

Hotlists, sources and sync, approved local entries, matching and the alert lifecycle.
"""

SERVICE = "hotlist"
SCHEMA = "hotlist"
HAS_MIGRATIONS = True
DEV_PORT = 8003
