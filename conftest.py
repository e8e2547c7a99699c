"""Fixtures for every test in the repository: the real local parts (PostgreSQL, S3, OIDC)."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx._transports.default as httpx_transports
import pytest

from alpr_common import tls_context

pytest_plugins = ["alpr_devstack.testing"]
ROOT = Path(__file__).parent

# Under xdist (make test: three workers on two cores) torch's OpenMP threads, and those of the
# stacks' recognition services, which inherit this environment, wait passively. By default they
# spin while they wait for work, so a model on two threads beside another busy worker spent most of
# its time waiting for a core its own spinning thread held: test_state's 34 held-out photos took
# 33 s in the full run, 1.7 s alone. Alone on the machine spinning is the faster (the same test
# 3.0-3.6 s against 4.6-5.1 s passive, measured back to back), so a run without workers keeps it.
# Read when torch is first imported, which no module does before this one.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Rendered plates (the recognition tests, the stack's demo frames) use the fonts installed; the
# tests' thresholds were measured with DejaVu alone, which every machine we build on has. A
# developer's machine with more fonts (fonts-liberation is common) renders other faces, and the
# state model names fewer rendered states there (82 % against 92 %, see the model card): pinned here
# so the suite asks the same of every machine. `ALPR_SYNTH_FONT_FAMILIES= make test` renders with all.
os.environ.setdefault("ALPR_SYNTH_FONT_FAMILIES", "DejaVu")

# The files that take longest (measured with --durations=0 on this 2-core machine), longest first.
# `make test` hands whole files to three workers in collection order (--no-loadscope-reorder):
# starting with these, the workers finish close together instead of one running a minute-long
# file alone at the end, and the last files handed out are short ones (a worker that ran an
# 8-second file last finished 8 s after the other two: 4 s of wall time with one core idle).
# Files not named keep their order after them.
LONGEST_FIRST = (
    "tests/fuzz/test_schemathesis.py",  # 96 s (make test, 2026-12-05, alpr run as a fork)
    "tests/test_devstack.py",  # 48 s
    "tests/faults/test_audit_faults.py",
    "tests/e2e/test_console.py",
    "services/recognition/tests/test_cli.py",
    "services/recognition/tests/test_model.py",  # 20 s
    "services/sharing/tests/test_policy.py",
    "services/hotlist/tests/test_alerts.py",
    "services/sharing/tests/test_sharing.py",
    "tests/sdk/test_typescript_sdk.py",
    "services/ingest/tests/test_pipeline.py",  # 12 s
    "services/sharing/tests/test_public_page.py",
    "services/hotlist/tests/test_sources.py",
    "tests/test_alpr_command.py",
    "tests/deploy/test_monitoring.py",
    "services/ingest/tests/test_faults.py",
    "services/audit/tests/test_audits_reports.py",
    "services/recognition/tests/test_worker.py",
    "services/audit/tests/test_schedule.py",
    "services/search/tests/test_searches.py",
    "tests/deploy/test_helm_chart.py",
    "services/search/tests/test_search_tiers.py",
    "tests/ledger/test_route_coverage.py",
    "services/audit/tests/test_cli.py",  # 8 s; the rest take 7.5 s or less
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [path for path in LONGEST_FIRST if not (ROOT / path).is_file()]
    if missing:  # a renamed file would silently fall back to collection order
        raise pytest.UsageError(f"conftest.py LONGEST_FIRST names files that do not exist: {missing}")
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context() -> Iterator[None]:
    """Every default httpx client the tests make shares the process's TLS context, as the
    services' clients do (``alpr_common.tls_context``): httpx would load certifi's CA bundle
    again for each client and each ``httpx.get`` (25-70 ms of CPU each, thousands in a run)."""
    own = httpx.create_ssl_context

    def shared(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is True and cert is None:
            return tls_context(trust_env=trust_env)
        return own(verify=verify, cert=cert, trust_env=trust_env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx_transports, "create_ssl_context", shared)
        yield
