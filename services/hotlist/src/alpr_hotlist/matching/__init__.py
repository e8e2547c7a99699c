"""Matching reads against hotlist entries (exact, wildcard and OCR-confusable)."""
