"""Training: ``alpr recognition train --config FILE [--seed N]`` (reproducible, resumable)."""
