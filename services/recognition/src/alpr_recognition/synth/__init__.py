"""Synthetic training data: plates rendered with PIL, degraded, and composited into scenes."""
