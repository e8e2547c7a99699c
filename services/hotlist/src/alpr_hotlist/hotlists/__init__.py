"""Hotlists (R9): designated by the administrator, each of a kind, priority and alerting flag."""
