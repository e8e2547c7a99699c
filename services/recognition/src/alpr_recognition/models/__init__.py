"""The two networks: a plate detector and a plate reader, both small enough to ship in the repo."""
