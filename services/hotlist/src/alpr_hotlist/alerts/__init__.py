"""Alerts: created by matches, moved through the states of R13 by people, delivered live."""
