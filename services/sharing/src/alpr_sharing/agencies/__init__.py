"""Partner agencies: who may ask, recognised by their machine clients' ids."""
