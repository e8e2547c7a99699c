"""Hotlist sources: the feed layouts, fetching and the atomic sync."""
