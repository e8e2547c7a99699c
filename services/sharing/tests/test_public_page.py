"""The public pages of each agency's published policy (issue 17, item 5; SB 34, Civil Code
1798.90.51; R32): no token, HTML with no script, every (b) element shown and escaped, the version
in force and its date, charts as accessible inline SVG with their numbers as tables, another
service's figures "not available" rather than a failed page, and never a plate, a person (but the
custodian) or a place."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright
from sharing_support import DAY, HOST, SharingStack

from alpr_devstack.components import free_port
from alpr_devstack.testing import Infra, bearer, create_app, problem, serve_audit, serve_http, unavailable
from alpr_sharing.public import render
from alpr_sharing.public.pages import Figures, FiguresCache

PARTNER = "CA0010900"
PLATE = "7PUB123"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
PUBLISHED: dict[str, Any] = {
    "authorized_purposes": "Stolen vehicles, wanted persons.\n\n<script>alert('x')</script> & nothing else.",
    "authorized_job_titles": ["Police Officer", "Crime Analyst <II>"],
    "contractor_job_titles": ["Vendor Support Engineer"],
    "custodian_name": "Dana Ortiz",
    "custodian_title": "ALPR Administrator",
    "monitoring": "Quarterly audits by the Professional Standards Unit.",
    "sharing": "Only with California agencies under a written agreement.",
    "accuracy": "Every hit is confirmed by eye before any action.",
    "retention": "365 days, then purged.",
    "text": "Adopted by the city council after public comment.",
}


class _Outline(HTMLParser):
    """Headings, SVGs and tables of a page, as a screen reader would meet them."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.svgs: list[dict[str, str | None]] = []
        self.tables = self.captions = 0
        self.scripts = 0
        self.lang: str | None = None
        self.viewport = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.headings.append(int(tag[1]))
        elif tag == "svg":
            self.svgs.append(found)
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "script":
            self.scripts += 1
        elif tag == "html":
            self.lang = found.get("lang")
        elif tag == "meta" and found.get("name") == "viewport":
            self.viewport = "width=device-width" in (found.get("content") or "")


def outline(page: str) -> _Outline:
    parsed = _Outline()
    parsed.feed(page)
    return parsed


def assert_html(resp: httpx.Response) -> str:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert resp.headers["content-security-policy"] == CSP
    assert resp.headers["x-content-type-options"] == "nosniff"
    parsed = outline(resp.text)
    assert parsed.lang == "en"
    assert parsed.viewport
    assert parsed.scripts == 0, "no script on a public page"
    assert parsed.headings[0] == 1
    for before, after in zip(parsed.headings, parsed.headings[1:], strict=False):
        assert after <= before + 1, f"heading h{after} after h{before}: {parsed.headings}"
    assert parsed.captions == parsed.tables, "every table has a caption"
    return resp.text


def _date(at: datetime) -> str:
    return f"{at.day} {at:%B %Y}"


async def _publish(client: httpx.AsyncClient, admin: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"policy": {"published": PUBLISHED}, "reason": "Council adopted it.", **extra}
    resp = await client.put(f"/v1/agencies/{HOST}/policy", json=body, headers=admin)
    assert resp.status_code == 200, resp.text
    made: dict[str, Any] = resp.json()
    return made


class TestAgencyPage:
    async def test_the_published_policy_its_version_and_figures_with_no_token(
        self, stack: SharingStack
    ) -> None:
        """Issue 17 item 5, R32: every 1798.90.51(b) element, escaped; the version in force and
        its date; the figures as SVG charts named for assistive technology and as tables; no
        plate, requester, case number or place of the test data."""
        version = await _publish(stack.client, stack.admin)
        assert version["status"] == "in_force"
        # A partner's request, approved and fetched: a release with a plate and a place in it.
        await stack.agency(PARTNER, "partner-pub", name="Neighbour City Police")
        await stack.mou(PARTNER)
        now = datetime.now(UTC)
        await stack.detections((PLATE, now - 2 * DAY), (PLATE, now - 3 * DAY))
        partner = stack.partner("partner-pub", PARTNER)
        filed = await stack.file(partner, plate=PLATE)
        assert filed.status_code == 201, filed.text
        request_id = filed.json()["id"]
        decided = await stack.client.post(
            f"/v1/requests/{request_id}/decision", json={"decision": "approve"}, headers=stack.commander
        )
        assert decided.status_code == 200, decided.text
        got = await stack.client.get(f"/v1/requests/{request_id}/results", headers=partner)
        assert len(got.json()["items"]) == 2, got.text
        assert (await stack.file(partner, plate=PLATE)).status_code == 201  # one still pending

        page = assert_html(await stack.client.get(f"/public/agencies/{HOST}"))  # no token

        for key, value in PUBLISHED.items():
            for item in value if isinstance(value, list) else value.split("\n\n"):
                assert escape(item, quote=True) in page, key
        assert "<script>" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; nothing else." in page
        assert "Dana Ortiz, ALPR Administrator" in page
        in_force = datetime.fromisoformat(version["in_force_from"])
        assert f"Version {version['version']}, in force since" in page
        assert _date(in_force.astimezone(UTC)) in page
        assert "Every search needs a case number" in page  # the rules the record sets

        parsed = outline(page)
        assert all(svg.get("role") == "img" for svg in parsed.svgs)
        assert len(parsed.svgs) == 3  # searches, requests and releases; no alert yet
        for key, title in [
            ("searches", "Searches per month by purpose, last 12 months"),
            ("requests", "Requests from other agencies, by status"),
            ("releases", "Data released, by partner agency"),
        ]:
            assert f'<title id="chart-{key}-title">{title}</title>' in page
            assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in page
            assert f"<caption>{title}</caption>" in page
        assert '<tr><th scope="row">Approved</th><td class="n">1</td></tr>' in page
        assert '<tr><th scope="row">Pending</th><td class="n">1</td></tr>' in page
        assert (
            f'<tr><th scope="row">Neighbour City Police ({PARTNER})</th>'
            '<td class="n">1</td><td class="n">2</td></tr>'
        ) in page
        # Search's count, through sharing's service client.
        assert '<h3>Detections in retention</h3>\n<p class="figure">2</p>' in page
        assert "No alert yet." in page
        # Audit's figures, through its typed client: the release's one search (this month), and
        # no sample audit yet.
        month = f"{now:%B %Y}"
        assert f'<tr><th scope="row">{month}</th><td class="n">1</td><td class="n">1</td></tr>' in page
        assert '<th scope="col">Stolen vehicle</th>' in page
        assert '<h3>Last sample audit completed</h3>\n<p class="muted">No audit yet.</p>' in page

        for secret in (PLATE, "Det. Pat Partner", "P-2026-77", "37.33", "121.89", "partner-pub"):
            assert secret not in page, secret

    async def test_the_list_names_each_agency_that_publishes(self, stack: SharingStack) -> None:
        await stack.agency(PARTNER, "partner-pub")  # registered, but publishes no policy
        empty = assert_html(await stack.client.get("/public/agencies"))
        assert "No agency has published a policy yet." in empty
        version = await _publish(stack.client, stack.admin)
        page = assert_html(await stack.client.get("/public/agencies"))
        assert f'<a href="/public/agencies/{HOST}">{HOST}</a>' in page
        assert f"<td>{version['version']}</td>" in page
        assert f"/public/agencies/{PARTNER}" not in page


@dataclass
class LoneSharing:
    """Sharing and audit only: search and hotlist are down (their ports closed)."""

    client: httpx.AsyncClient
    admin: dict[str, str]
    infra: Infra
    audit_url: str


@asynccontextmanager
async def _sharing(infra: Infra, name: str, db: str, audit_url: str | None) -> AsyncIterator[LoneSharing]:
    """Sharing on ``db`` as the client ``svc-sharing-{name}``, search and hotlist down (their
    ports closed), the ledger at ``audit_url`` (down too when none)."""
    secret = infra.register_client(f"svc-sharing-{name}", roles=["service"])
    closed = f"http://127.0.0.1:{free_port()}"
    ledger = audit_url or closed
    settings = infra.settings(
        "sharing", database_url=db, audit_url=ledger, client_id=f"svc-sharing-{name}",
        client_secret=secret, search_url=closed, hotlist_url=closed,
    )  # fmt: skip
    async with (
        serve_http(create_app("sharing", settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        admin = bearer(
            infra.mint(sub=f"adm-{name}", name=f"Adm {name.title()}", agency=HOST, roles=["alpr_admin"])
        )
        yield LoneSharing(client=client, admin=admin, infra=infra, audit_url=ledger)


@pytest.fixture
async def lone(infra: Infra) -> AsyncIterator[LoneSharing]:
    db = infra.migrated_database("alpr_sharing", "alpr_audit", prefix="public")
    async with serve_audit(infra, db) as audit_url, _sharing(infra, "pub", db, audit_url) as sharing:
        yield sharing


@pytest.fixture
async def alone(infra: Infra) -> AsyncIterator[LoneSharing]:
    """Sharing with every other service down, audit too (the policy's own ledger events wait in
    sharing's outbox)."""
    async with _sharing(
        infra, "alone", infra.migrated_database("alpr_sharing", prefix="public"), None
    ) as sharing:
        yield sharing


def _month_ago(now: datetime, months: int) -> datetime:
    """The 15th at noon (UTC) of the month ``months`` before ``now``'s."""
    index = now.year * 12 + now.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 15, 12, tzinfo=UTC)


class TestWithoutThePolicy:
    async def test_an_unknown_or_unpublished_agency_is_404(self, lone: LoneSharing) -> None:
        """An ORI with no approved version (none, or one pending a commander) is not found, as
        any other missing thing; a malformed ORI is a 422."""
        resp = await lone.client.get(f"/public/agencies/{HOST}")
        assert resp.status_code == 404
        assert problem(resp)["type"] == "urn:alpr:problem:not-found"
        loosening = {"policy": {"sharing": {"federal_allowed": True}}, "reason": "Wider sharing."}
        pending = await lone.client.put(f"/v1/agencies/{HOST}/policy", json=loosening, headers=lone.admin)
        assert pending.json()["status"] == "pending_approval"
        assert (await lone.client.get(f"/public/agencies/{HOST}")).status_code == 404
        bad = await lone.client.get("/public/agencies/not-an-ori")
        assert bad.status_code == 422
        assert problem(bad)["type"] == "urn:alpr:problem:validation"

    async def test_other_services_down_shows_not_available(self, lone: LoneSharing) -> None:
        version = await _publish(lone.client, lone.admin)
        page = assert_html(await lone.client.get(f"/public/agencies/{HOST}"))
        assert f"Version {version['version']}, in force since" in page
        assert '<h3>Detections in retention</h3>\n<p class="muted">Not available at the moment.</p>' in page
        assert '<h3 id="hits">Hotlist alerts, by final state</h3>\n<p class="muted">Not available' in page
        assert "No agency has asked for this agency&#x27;s data yet." in page
        # Audit answers: nothing searched, nothing audited yet.
        assert "No search in the last 12 months." in page
        assert '<h3>Last sample audit completed</h3>\n<p class="muted">No audit yet.</p>' in page

    async def test_searches_per_month_by_purpose_and_the_last_audit(self, lone: LoneSharing) -> None:
        """Issue 17 item 5: searches per month of the last twelve by purpose, as a stacked SVG
        chart with its legend and its numbers as a table, and the date the last sample audit was
        completed; from audit's ledger (R23, R32, R35). No plate, searcher or case number."""
        await _publish(lone.client, lone.admin)
        now = datetime.now(UTC) - timedelta(seconds=1)
        actor = {"sub": "inv-7", "name": "Ivan Investigator", "agency": HOST, "roles": ["investigator"]}

        def search(purpose: str, at: datetime) -> dict[str, Any]:
            return {
                "action": "search.executed", "actor": actor, "purpose": purpose, "outcome": "allowed",
                "case_number": "2026-004711", "data": {"plate": PLATE, "latitude": 37.33},
                "targets": [], "source": "search", "occurred_at": at.isoformat(),
            }  # fmt: skip

        events = [
            *(search("stolen_vehicle", now) for _ in range(6)),
            *(search("amber_alert", now) for _ in range(3)),
            search("criminal_investigation", _month_ago(now, 2)),
            search("wanted_person", _month_ago(now, 12)),  # before the twelve months shown
        ]
        service = bearer(lone.infra.mint(sub="svc-search", roles=["service"], training_expires=None))
        auditor = bearer(lone.infra.mint(sub="aud-pub", name="Ann Auditor", agency=HOST, roles=["auditor"]))
        async with httpx.AsyncClient(base_url=lone.audit_url, timeout=30) as audit:
            resp = await audit.post("/v1/events", json={"events": events}, headers=service)
            assert resp.status_code == 201, resp.text
            created = await audit.post("/v1/audits", json={"size": 10}, headers=auditor)
            assert created.status_code == 201, created.text
            audit_id = created.json()["id"]
            for item in created.json()["items"]:
                found = {"sequence": item["sequence"], "finding": "compliant"}
                recorded = await audit.post(f"/v1/audits/{audit_id}/findings", json=found, headers=auditor)
                assert recorded.status_code == 200, recorded.text
            complete = (await audit.get(f"/v1/audits/{audit_id}", headers=auditor)).json()
        assert complete["status"] == "complete"
        completed_at = datetime.fromisoformat(complete["completed_at"])

        page = assert_html(await lone.client.get(f"/public/agencies/{HOST}"))
        title = "Searches per month by purpose, last 12 months"
        assert f'<title id="chart-searches-title">{title}</title>' in page
        assert 'aria-labelledby="chart-searches-title chart-searches-desc"' in page
        # The table: a row per month (oldest first), the total, then a column per purpose searched
        # for, most searched first.
        assert (
            '<thead><tr><th scope="col">Month</th><th scope="col">Searches</th>'
            '<th scope="col">Stolen vehicle</th><th scope="col">Amber alert</th>'
            '<th scope="col">Criminal investigation</th></tr></thead>'
        ) in page
        cells = "".join(f'<td class="n">{n}</td>' for n in (9, 6, 3, 0))
        assert f'<tr><th scope="row">{now:%B %Y}</th>{cells}</tr>' in page
        cells = "".join(f'<td class="n">{n}</td>' for n in (1, 0, 0, 1))
        assert f'<tr><th scope="row">{_month_ago(now, 2):%B %Y}</th>{cells}</tr>' in page
        table = page.split(f"<caption>{title}</caption>")[1].split("</table>")[0]
        assert table.count('<tr><th scope="row">') == 12
        assert f"{_month_ago(now, 12):%B %Y}" not in page
        assert "Wanted person" not in page.split('id="figures"')[1]
        # The chart's description says the same, parts included; its legend names each purpose.
        assert f"{now:%B %Y}: 9 (stolen vehicle 6, amber alert 3)" in page
        for legend in ("Stolen vehicle", "Amber alert", "Criminal investigation"):
            assert f'font-size="14" fill="#1a1a1a">{legend}</text>' in page
        assert '<div class="scroll">' in page  # the wide table scrolls on a phone, not the page
        figure = f'<h3>Last sample audit completed</h3>\n<p class="figure">{render._date(completed_at)}</p>'
        assert figure in page
        assert _date(completed_at.astimezone(UTC)) in page
        for secret in (PLATE, "inv-7", "Ivan Investigator", "2026-004711", "37.33"):
            assert secret not in page, secret

    async def test_audit_down_shows_not_available(self, alone: LoneSharing) -> None:
        """Every other service down, audit among them: the policy still shows, and audit's
        figures say they are not available now."""
        version = await _publish(alone.client, alone.admin)
        page = assert_html(await alone.client.get(f"/public/agencies/{HOST}"))
        assert f"Version {version['version']}, in force since" in page
        assert (
            '<h3 id="searches">Searches per month by purpose, last 12 months</h3>\n'
            '<p class="muted">Not available at the moment.</p>'
        ) in page
        assert (
            '<h3>Last sample audit completed</h3>\n<p class="muted">Not available at the moment.</p>'
        ) in page
        assert "No audit yet." not in page

    async def test_a_version_published_for_comment_shows_its_date(self, lone: LoneSharing) -> None:
        """R40 (San Jose): a version published before it takes force is shown as not yet in
        force, with the date it will be."""
        start = datetime.now(UTC) + timedelta(days=30)
        version = await _publish(lone.client, lone.admin, effective_from=start.isoformat())
        assert version["status"] == "scheduled"
        page = assert_html(await lone.client.get(f"/public/agencies/{HOST}"))
        assert "Not yet in force." in page
        assert f"Version {version['version']} is published for public comment and takes force on" in page
        assert _date(start) in page
        listed = assert_html(await lone.client.get("/public/agencies"))
        assert "Published for comment; in force from" in listed


def test_figures_are_kept_a_minute_then_counted_again() -> None:
    """Anyone may open the page: its counts (a detection count at search among them) are made
    at most once a minute per agency."""
    clock = [100.0]
    cache = FiguresCache(ttl_s=60.0, clock=lambda: clock[0])
    counted = Figures(counted_at=datetime.now(UTC), charts=[], figures=[])
    assert cache.get(HOST) is None
    cache.put(HOST, counted)
    clock[0] += 59.0
    assert cache.get(HOST) is counted
    assert cache.get(PARTNER) is None
    clock[0] += 1.0
    assert cache.get(HOST) is None


# --- The page in a real browser (issue 17's test: headless Chromium, no console error) ------------

CHROMIUM = os.environ.get("ALPR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get(
        "ALPR_E2E_ARTIFACTS", Path(__file__).resolve().parents[3] / "build" / "test-artifacts" / "e2e"
    )
)


class TestInABrowser:
    async def test_the_page_renders_every_element_and_its_charts_without_errors(
        self, stack: SharingStack
    ) -> None:
        """Debian's Chromium, driven by Playwright, loads the page with no console or page error,
        shows every published element and the charts, and no plate; a screenshot is written to
        ``build/test-artifacts/e2e/public-agency-page.png``. Without Chromium this skips, except
        under CI (CI=true), where it fails."""
        if not Path(CHROMIUM).is_file():
            unavailable(f"no Chromium at {CHROMIUM} (Debian package `chromium`; .ci/run installs it)")
        await _publish(stack.client, stack.admin)
        await stack.agency(PARTNER, "partner-web", name="Neighbour City Police")
        await stack.mou(PARTNER)
        await stack.detections((PLATE, datetime.now(UTC) - 2 * DAY))
        partner = stack.partner("partner-web", PARTNER)
        filed = await stack.file(partner, plate=PLATE)
        assert filed.status_code == 201, filed.text
        decided = await stack.client.post(
            f"/v1/requests/{filed.json()['id']}/decision",
            json={"decision": "approve"},
            headers=stack.commander,
        )
        assert decided.status_code == 200, decided.text
        assert (
            await stack.client.get(f"/v1/requests/{filed.json()['id']}/results", headers=partner)
        ).is_success

        errors: list[str] = []
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                answer = await page.goto(str(stack.client.base_url.join(f"/public/agencies/{HOST}")))
                assert answer is not None
                assert answer.status == 200
                text = await page.locator("body").inner_text()
                for key, value in PUBLISHED.items():
                    for item in value if isinstance(value, list) else value.split("\n\n"):
                        assert " ".join(item.split()) in " ".join(text.split()), key
                assert "Searches per month by purpose, last 12 months" in text
                assert "Last sample audit completed" in text
                charts = page.locator('svg[role="img"]')
                assert await charts.count() == 3  # searches (the release's), requests, releases
                for i in range(await charts.count()):
                    assert await charts.nth(i).is_visible()
                    box = await charts.nth(i).bounding_box()
                    assert box is not None
                    assert box["width"] <= 390  # fits the phone's width
                assert await page.locator("script").count() == 0
                assert PLATE not in await page.content()
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "public-agency-page.png"), full_page=True)
            finally:
                await browser.close()
        assert errors == []
