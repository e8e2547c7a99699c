"""ALPR ingest service.

Front door for cameras: frames into object storage, edge reads, leased work for recognition, outbox fan-out.
"""

SERVICE = "ingest"
SCHEMA = "ingest"
HAS_MIGRATIONS = True
DEV_PORT = 8001
