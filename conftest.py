"""Fixtures for every test in the repository: the real local parts (PostgreSQL, S3, OIDC)."""

pytest_plugins = ["alpr_devstack.testing"]
