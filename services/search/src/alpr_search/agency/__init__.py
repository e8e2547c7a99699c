"""Per-agency settings of the detection store."""
