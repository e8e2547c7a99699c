"""Fixtures of alpr_common's tests: an environment that holds no setting inherited from the shell
or the stack that runs them."""

from __future__ import annotations

import os

import pytest

# The prefixes of the variables settings read: the shared ones, each service's, the sample's.
SETTING_PREFIXES = (
    "ALPR_",
    "DATABASE_",
    "S3_",
    "OIDC_",
    "SAMPLE_",
    *(f"{s}_" for s in ("INGEST", "RECOGNITION", "HOTLIST", "SEARCH", "AUDIT", "SHARING")),
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process's environment less every variable a setting reads, for the test's length:
    what a test sets is all there is, here and in the processes it starts."""
    for key in list(os.environ):
        if key.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(key)
    return monkeypatch
