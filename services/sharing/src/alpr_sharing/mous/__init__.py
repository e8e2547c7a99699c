"""Memoranda of understanding (R28): the agreement in force that any release needs."""
