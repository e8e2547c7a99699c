"""Ledger events of machine-driven changes, shipped to the audit service through an outbox."""
