"""Hotlist entries: local ones entered by members and approved by others (R12), synced ones."""
