"""ALPR recognition service.

Plate detection and reading on GPU or CPU; runs the worker loop over ingest's leased frames.
"""

SERVICE = "recognition"
SCHEMA = "recognition"
HAS_MIGRATIONS = False
DEV_PORT = 8002
