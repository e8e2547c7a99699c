"""The chart's alert rules and dashboards (issue 20): the rules pass `promtool check rules` and
their unit tests (a stuck outbox, a stale source (R11), a quiet camera, a broken ledger fire; a
healthy stack fires nothing); every metric a rule or a dashboard names is in the real /metrics of
the services; no process serves `_created` series; and a real Prometheus scraping a running stack
evaluates every rule and every dashboard query without an error.

promtool and prometheus come from Debian's `prometheus` package (.ci/run installs it). Without
them these tests skip, except under CI (CI=true), where they fail."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI, Response
from prometheus_client.parser import text_string_to_metric_families

from alpr_devstack.components import free_port
from alpr_devstack.testing import (
    SERVICE_NAMES,
    Infra,
    audit_signing_key,
    bearer,
    loopback_stack,
    match_read,
    serve_http,
    unavailable,
)

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm"
RULES = CHART / "files" / "rules" / "alpr.rules.yaml"
DASHBOARDS = sorted((CHART / "files" / "dashboards").glob("*.json"))
RULE_TESTS = sorted((Path(__file__).parent / "rules").glob("*.test.yaml"))
# Named by a rule or a dashboard before the code that serves it lands. A name here may be
# missing from /metrics; no other may (empty: every name is served).
PENDING: set[str] = set()
# Grafana's own variables, as a query would run over the last hour.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
METRIC_NAME = re.compile(r"\balpr_[a-z0-9_]+\b")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"`{name}` is not installed (Debian package `prometheus`; .ci/run installs it)")
    return path


def _run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _instant(stamp: str) -> datetime:
    """A Prometheus API timestamp (RFC 3339, nanoseconds) as a datetime (to the microsecond)."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{whole}.{(fraction + '000000')[:6]}+00:00")


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _dashboard_queries() -> Iterator[tuple[str, str, str]]:
    """(dashboard, panel title, expression) of every query of every panel."""
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                yield path.name, panel["title"], target["expr"]


def _as_prometheus_query(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"a dashboard variable the test does not know: {expr}"
    return expr


# --- the sources, as files ----------------------------------------------------------------


def test_rules_pass_promtool_check() -> None:
    out = _run(_tool("promtool"), "check", "rules", str(RULES))
    assert f"SUCCESS: {len(_rules())} rules found" in out


def test_rule_unit_tests_pass() -> None:
    """promtool test rules: a stuck outbox, a stale source (R11), a quiet camera, a broken ledger
    and an overdue checkpoint fire; a healthy stack fires nothing."""
    promtool = _tool("promtool")
    assert RULE_TESTS
    out = _run(promtool, "test", "rules", *(p.name for p in RULE_TESTS), cwd=RULE_TESTS[0].parent)
    assert "SUCCESS" in out


def test_the_healthy_case_checks_every_alert() -> None:
    """A new alert is added to the case of a healthy stack, so it is shown to stay quiet."""
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    healthy = next(
        case
        for path in RULE_TESTS
        for case in yaml.safe_load(path.read_text())["tests"]
        if case["name"] == "a healthy stack fires nothing"
    )
    quiet = {check["alertname"] for check in healthy["alert_rule_test"] if check["exp_alerts"] == []}
    assert quiet == alerts
    for name in ("AlprOutboxStuck", "AlprHotlistSourceStale", "AlprCameraQuiet", "AlprLedgerVerifyFailing"):
        fired = [
            check
            for path in RULE_TESTS
            for case in yaml.safe_load(path.read_text())["tests"]
            for check in case["alert_rule_test"]
            if check["alertname"] == name and check["exp_alerts"]
        ]
        assert fired, f"no case shows {name} firing"


def test_rules_have_severity_and_summary() -> None:
    for rule in _rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_dashboards_are_well_formed() -> None:
    assert {p.name for p in DASHBOARDS} == {
        "alpr-overview.json",
        "alpr-pipeline.json",
        "alpr-compliance.json",
    }
    uids = set()
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        assert board["uid"] not in uids
        uids.add(board["uid"])
        assert board["title"].startswith("ALPR / ")
        assert [v["name"] for v in board["templating"]["list"]] == ["datasource"]
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["targets"], f"{path.name}: {panel['title']} has no query"
            for target in panel["targets"]:
                assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
                assert METRIC_NAME.search(target["expr"]) or "up{" in target["expr"], target["expr"]


# --- the running services -----------------------------------------------------------------


@dataclass
class Stack:
    urls: dict[str, str]
    http: httpx.AsyncClient

    async def scrape(self, service: str) -> str:
        resp = await self.http.get(f"{self.urls[service]}/metrics")
        assert resp.status_code == 200
        return resp.text


@pytest.fixture(scope="module")
async def stack(infra: Infra) -> AsyncIterator[Stack]:
    """The six services on loopback ports over their own migrated database, as deployed."""
    own: dict[str, dict[str, Any]] = {
        "recognition": {"worker_enabled": False},
        "hotlist": {
            "scheduler": False,
            "metrics_refresh_seconds": 0.5,
            "stream_keepalive_seconds": 0.2,
            "webhook_poll_seconds": 0.05,
            "webhook_max_backoff_seconds": 0.2,
            # The webhook receiver of the test listens on loopback, which the operator allows.
            "outbound_allow_http": True,
            "outbound_allow_networks": "127.0.0.0/8",
        },
        "audit": {"signing_key": audit_signing_key(), "metrics_refresh_seconds": 0.5},
        "ingest": {"metrics_refresh_seconds": 0.5},
    }
    services = loopback_stack(infra, SERVICE_NAMES, prefix="monitoring", own=own)
    async with services.serving() as urls, httpx.AsyncClient(timeout=30) as http:
        for name in SERVICE_NAMES:  # the readiness gauge is set by the probe, as the kubelet does
            for _ in range(300):
                if (await http.get(f"{urls[name]}/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
        yield Stack(urls, http)


def _exposed_names(text: str) -> set[str]:
    """Every series name a scrape can hold: its samples', and those its families declare
    (a labelled family with no child yet has a TYPE line and no sample)."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            names.add(name)
            if kind in {"histogram", "summary"}:
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


@pytest.fixture(scope="module")
async def scrapes(stack: Stack) -> dict[str, str]:
    return {name: await stack.scrape(name) for name in SERVICE_NAMES}


async def test_no_process_serves_created_series(scrapes: dict[str, str]) -> None:
    for service, text in scrapes.items():
        created = [line for line in text.splitlines() if re.match(r"(# (HELP|TYPE) )?\w+_created[{ ]", line)]
        assert not created, f"{service}: {created[:3]}"


async def test_every_scrape_passes_promtool_check_metrics(scrapes: dict[str, str]) -> None:
    promtool = _tool("promtool")
    for service, text in scrapes.items():
        proc = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, f"{service}: {proc.stdout}{proc.stderr}"


async def test_every_metric_of_the_rules_and_dashboards_is_served(scrapes: dict[str, str]) -> None:
    exposed = set().union(*(_exposed_names(text) for text in scrapes.values()))
    used: dict[str, set[str]] = {}
    for rule in _rules():
        for name in METRIC_NAME.findall(rule["expr"]):
            used.setdefault(name, set()).add(f"rule {rule.get('alert') or rule.get('record')}")
    for board, title, expr in _dashboard_queries():
        for name in METRIC_NAME.findall(expr):
            used.setdefault(name, set()).add(f"{board}: {title}")
    missing = {name: sorted(where) for name, where in used.items() if name not in exposed | PENDING}
    assert not missing, missing
    # What issue 20 asks an on-call person can see, each at least once in a dashboard.
    for name in (
        "alpr_ingest_queue_depth",
        "alpr_ingest_leases_expired",
        "alpr_ingest_frames_failed",
        "alpr_ingest_outbox_lag_seconds",
        "alpr_outbox_dead",
        "alpr_recognition_images_total",
        "alpr_recognition_batch_size_bucket",
        "alpr_recognition_queue_lag_seconds",
        "alpr_hotlist_matches_total",
        "alpr_hotlist_alerts_total",
        "alpr_hotlist_webhook_deliveries_total",
        "alpr_hotlist_webhook_delivery_duration_seconds_bucket",
        "alpr_hotlist_alert_streams",
        "alpr_hotlist_source_last_success_timestamp_seconds",
        "alpr_search_searches_total",
        "alpr_search_refusals_total",
        "alpr_audit_append_duration_seconds_bucket",
        "alpr_audit_ledger_head_sequence",
        "alpr_audit_checkpoint_last_timestamp_seconds",
        "alpr_audit_ledger_verify_ok",
    ):
        assert any("json" in where for where in used.get(name, ())), f"{name} is on no dashboard"
        assert name in exposed, name


def _value(text: str, sample: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


async def _eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "the metrics did not show it in time"
        await asyncio.sleep(0.1)


async def test_the_metrics_count_what_happened(stack: Stack, infra: Infra) -> None:
    """A refused and an allowed search (R5-R7) are counted by purpose; their ledger events are
    appended, timed and verified; an open alert stream is a subscriber until it closes."""
    officer = bearer(infra.mint(sub="inv-1", roles=["investigator"]))
    window = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "case_number": "2026-001234"}
    search = f"{stack.urls['search']}/v1/searches"
    refused = await stack.http.post(
        search, json={"purpose": "immigration_enforcement", **window}, headers=officer
    )
    assert refused.status_code == 403, refused.text
    allowed = await stack.http.post(search, json={"purpose": "stolen_vehicle", **window}, headers=officer)
    assert allowed.status_code == 200, allowed.text

    text = await stack.scrape("search")
    assert (
        _value(text, "alpr_search_searches_total", purpose="immigration_enforcement", outcome="refused") == 1
    )
    assert _value(text, "alpr_search_searches_total", purpose="stolen_vehicle", outcome="allowed") == 1
    assert _value(text, "alpr_search_refusals_total", reason="purpose-prohibited") == 1

    async def ledger_verified() -> bool:
        text = await stack.scrape("audit")
        head = _value(text, "alpr_audit_ledger_head_sequence") or 0
        return head >= 2 and _value(text, "alpr_audit_ledger_verified_sequence") == head

    await _eventually(ledger_verified)
    text = await stack.scrape("audit")
    assert (_value(text, "alpr_audit_events_appended_total") or 0) >= 2
    assert (_value(text, "alpr_audit_append_duration_seconds_count") or 0) >= 1
    assert _value(text, "alpr_audit_ledger_verify_ok") == 1
    assert _value(text, "alpr_audit_checkpoint_interval_seconds") == 15 * 60

    async def streams(n: int) -> bool:
        return _value(await stack.scrape("hotlist"), "alpr_hotlist_alert_streams") == n

    async with stack.http.stream("GET", f"{stack.urls['hotlist']}/v1/alerts/stream", headers=officer) as resp:
        assert resp.status_code == 200
        await _eventually(lambda: streams(1))
    await _eventually(lambda: streams(0))


async def test_hotlist_counts_matches_alerts_deliveries_and_sources(stack: Stack, infra: Infra) -> None:
    """Two reads checked, one hit (exact); redelivered, it is a match again but no second
    alert; its webhook fails once, then is delivered; a new source is known by its sync time."""
    hotlist = stack.urls["hotlist"]
    admin = bearer(infra.mint(sub="adm-1", roles=["alpr_admin"]))
    operator = bearer(infra.mint(sub="op-1", roles=["operator"]))
    ingest = bearer(infra.mint(sub="svc-ingest", name="ingest", roles=["service"], training_expires=None))
    calls: list[int] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook() -> Response:
        calls.append(1)
        return Response(status_code=500 if len(calls) == 1 else 204)

    async with serve_http(receiver) as receiver_url:
        made = await stack.http.post(
            f"{hotlist}/v1/webhooks", json={"url": f"{receiver_url}/hook"}, headers=admin
        )
        assert made.status_code == 201, made.text
        listed = await stack.http.post(
            f"{hotlist}/v1/hotlists",
            json={"name": "stolen", "kind": "local_bolo", "priority": 1},
            headers=admin,
        )
        assert listed.status_code == 201, listed.text
        hotlist_id = listed.json()["id"]
        entry = await stack.http.post(
            f"{hotlist}/v1/hotlists/{hotlist_id}/entries",
            json={"plate": "7ABC123", "state": "CA", "case_number": "2026-000123", "synopsis": "stolen"},
            headers=operator,
        )
        assert entry.status_code == 201, entry.text
        approved = await stack.http.post(
            f"{hotlist}/v1/hotlists/{hotlist_id}/entries/{entry.json()['id']}:approve", json={}, headers=admin
        )
        assert approved.status_code == 200, approved.text

        hit = match_read("7ABC123")
        for batch in ([hit, match_read("4XYZ999")], [hit]):
            matched = await stack.http.post(f"{hotlist}/v1/matches", json={"reads": batch}, headers=ingest)
            assert matched.status_code in {200, 202}, matched.text

        async def delivered() -> bool:
            text = await stack.scrape("hotlist")
            return _value(text, "alpr_hotlist_webhook_deliveries_total", result="delivered") == 1

        await _eventually(delivered, timeout=20)
    text = await stack.scrape("hotlist")
    assert _value(text, "alpr_hotlist_reads_checked_total") == 3
    assert _value(text, "alpr_hotlist_matches_total", grade="exact") == 2
    assert _value(text, "alpr_hotlist_alerts_total", grade="exact") == 1
    assert _value(text, "alpr_hotlist_alerts_total", grade="partial") == 0
    assert _value(text, "alpr_hotlist_webhook_deliveries_total", result="retry") == 1
    assert _value(text, "alpr_hotlist_webhook_deliveries_total", result="failed") == 0
    assert _value(text, "alpr_hotlist_webhook_delivery_duration_seconds_count") == 2

    source = await stack.http.post(
        f"{hotlist}/v1/sources",
        json={"hotlist_id": hotlist_id, "url": "http://127.0.0.1:9/feed.csv", "interval_minutes": 60},
        headers=admin,
    )
    assert source.status_code == 201, source.text

    async def source_known() -> bool:
        text = await stack.scrape("hotlist")
        at = _value(text, "alpr_hotlist_source_last_success_timestamp_seconds", source=source.json()["id"])
        return at is not None and abs(at - time.time()) < 60  # never synced: its creation time

    await _eventually(source_known)


async def test_a_real_prometheus_evaluates_every_rule_and_dashboard_query(
    stack: Stack, tmp_path: Path
) -> None:
    """Prometheus scrapes the six services (each series labelled with its service, as the
    chart's ServiceMonitor does) and loads the rules; every rule evaluates with health ok and
    every dashboard query answers without an error."""
    prometheus = _tool("prometheus")
    port = free_port()
    jobs = [
        {
            "job_name": f"alpr-{name}",
            "metrics_path": "/metrics",
            "static_configs": [{"targets": [url.removeprefix("http://")], "labels": {"service": name}}],
        }
        for name, url in stack.urls.items()
    ]
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(RULES)],
                "scrape_configs": jobs,
            }
        )
    )
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        targets: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)  # the services answer the scrapes from this loop
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()[-2000:]
            try:
                targets = (await stack.http.get(f"{api}/targets")).json()["data"]["activeTargets"]
            except httpx.TransportError:
                continue
            if len(targets) == len(SERVICE_NAMES) and all(t["health"] == "up" for t in targets):
                break
        assert sorted(t["labels"]["service"] for t in targets if t["health"] == "up") == sorted(
            SERVICE_NAMES
        ), [(t["labels"]["service"], t["health"], t.get("lastError")) for t in targets]
        # Every rule evaluated over the scrapes that found all services up (an alert without a
        # `for` would be firing by then, one with it pending), polled rather than waited for.
        scraped = max(_instant(t["lastScrape"]) for t in targets)
        rules: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            groups = (await stack.http.get(f"{api}/rules")).json()["data"]["groups"]
            rules = [rule for group in groups for rule in group["rules"]]
            if rules and all(_instant(rule["lastEvaluation"]) > scraped for rule in rules):
                break
            await asyncio.sleep(0.2)
        assert all(_instant(rule["lastEvaluation"]) > scraped for rule in rules), rules

        async def query(expr: str) -> list[dict[str, Any]]:
            resp = await stack.http.get(f"{api}/query", params={"query": expr})
            body = resp.json()
            assert resp.status_code == 200, (expr, body)
            assert body["status"] == "success", (expr, body)
            result: list[dict[str, Any]] = body["data"]["result"]
            return result

        # The service label is where the rules and dashboards expect it, on every series.
        up = await query("sum by (service) (up)")
        assert {r["metric"]["service"]: r["value"][1] for r in up} == {name: "1" for name in SERVICE_NAMES}
        ready = await query("sum by (service) (alpr_service_ready)")
        assert {r["metric"]["service"] for r in ready} == set(SERVICE_NAMES)
        assert await query('alpr_outbox_lag_seconds{service="ingest", topic="search"}')

        evaluated = 0
        for _board, _title, expr in _dashboard_queries():
            await query(_as_prometheus_query(expr))
            evaluated += 1
        assert evaluated >= 50

        assert len(rules) == len(_rules())
        for rule in rules:
            assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))
        # A healthy stack that just started fires nothing (pending at most).
        firing = [
            a
            for a in (await stack.http.get(f"{api}/alerts")).json()["data"]["alerts"]
            if a["state"] == "firing"
        ]
        assert not firing, firing
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
