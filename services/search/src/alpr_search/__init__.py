"""ALPR search service.

Purpose-bound detection search, corrections, retention and legal holds.
"""

SERVICE = "search"
SCHEMA = "search"
HAS_MIGRATIONS = True
DEV_PORT = 8004
