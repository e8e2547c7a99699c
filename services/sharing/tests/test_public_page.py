"""The public pages of each agency's published policy (issue 17, item 5; SB 34, Civil Code
1798.90.51; R32): no token, HTML with no script, every (b) element shown and escaped, the version
in force and its date, charts as accessible inline SVG with their numbers as tables, another
service's figures "not available" rather than a failed page, and never a plate, a person (but the
custodian) or a place."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
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
        assert len(parsed.svgs) == 2  # requests and releases; no alert yet
        for key, title in [
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


@pytest.fixture
async def lone(infra: Infra) -> AsyncIterator[LoneSharing]:
    db = infra.migrated_database("alpr_sharing", "alpr_audit", prefix="public")
    secret = infra.register_client("svc-sharing-pub", roles=["service"])
    async with serve_audit(infra, db) as audit_url:
        closed = f"http://127.0.0.1:{free_port()}"
        settings = infra.settings(
            "sharing", database_url=db, audit_url=audit_url, client_id="svc-sharing-pub",
            client_secret=secret, search_url=closed, hotlist_url=closed,
        )  # fmt: skip
        async with (
            serve_http(create_app("sharing", settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            admin = bearer(infra.mint(sub="adm-pub", name="Adm Pub", agency=HOST, roles=["alpr_admin"]))
            yield LoneSharing(client=client, admin=admin)


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
                charts = page.locator('svg[role="img"]')
                assert await charts.count() >= 2
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
