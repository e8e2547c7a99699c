"""The partner notification log: decisions pushed to partners' webhooks."""
