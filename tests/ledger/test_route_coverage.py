"""Every route of every service has an access class, declared where the route is declared and
published in the OpenAPI document (``x-alpr-access``, ``x-alpr-ledger``); every view and change,
called for real, leaves its event on the ledger with its actor, purpose and targets (issue 16,
item 4).

The second test is driven by ``RECIPES``: one per view or change operation, keyed by service,
method and path template. A new view or change route fails the test until it has a recipe (or is
listed, with why, in ``NOT_YET``). A recipe makes the call with a token its route admits and
answers the events the call must leave; the test then finds each on the ledger (``GET
/v1/events`` as the agency's auditor), however it got there (synchronously or via an outbox)."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from PIL import Image

from alpr_common import (
    ACCESS_EXTENSION,
    LEDGER_EXTENSION,
    Access,
    Action,
    ensure_bucket,
    make_object_store,
)
from alpr_devstack.testing import (
    SERVICE_NAMES,
    ActsAs,
    Infra,
    audit_signing_key,
    authenticates,
    create_app,
    loopback_stack,
    required_roles,
)

Op = tuple[str, str, str]  # (service, METHOD, path template)

# Views and changes that record nothing today. Their x-alpr-ledger is empty, which the first test
# accepts for these alone (and fails once one of them declares an action: then it leaves this set).
UNRECORDED: dict[Op, str] = {}


# View and change operations with no recipe yet, and why. Kept as small as possible.
NOT_YET: dict[Op, str] = {**UNRECORDED}

# Field names that carry ALPR data: a ``read`` route's answer never holds one.
ALPR_FIELDS = {"plate", "plate_corrected", "crop_url", "frame_url", "image_url"}
# FastAPI's own documents (not API routes): public.
DOC_ROUTES = ("openapi_url", "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url")
DEADLINE_S = 30.0


def _field_names(schema: Any, components: dict[str, Any], seen: set[str]) -> set[str]:
    """Every property name anywhere in ``schema``, following ``$ref``s."""
    names: set[str] = set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            names |= _field_names(components.get(ref.rsplit("/", 1)[-1], {}), components, seen)
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                names |= set(value)
            names |= _field_names(value, components, seen)
    elif isinstance(schema, list):
        for item in schema:
            names |= _field_names(item, components, seen)
    return names


def classified_routes(service: str, app: FastAPI) -> dict[Op, tuple[Access, list[str], APIRoute]]:
    """Each API route's class and ledger actions, from its ``openapi_extra``; asserts that every
    route has them (``include_in_schema=False`` routes too) and that nothing else is routed
    but FastAPI's own documents."""
    docs = {getattr(app, name) for name in DOC_ROUTES} - {None}
    out: dict[Op, tuple[Access, list[str], APIRoute]] = {}
    for ctx in iter_route_contexts(app.router.routes):
        route, path = ctx.original_route, ctx.path or ""
        if not isinstance(route, APIRoute):
            assert path in docs, f"{service} {path}: routed outside FastAPI's API routes, no class"
            continue
        extra = route.openapi_extra or {}
        assert ACCESS_EXTENSION in extra, f"{service} {path}: no {ACCESS_EXTENSION} (use alpr_common.access)"
        kind = Access(extra[ACCESS_EXTENSION])
        ledger = [str(Action(a)) for a in extra.get(LEDGER_EXTENSION, [])]
        for method in route.methods or ():
            out[(service, method, path)] = (kind, ledger, route)
    return out


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_route_is_classified(service: str, infra: Infra) -> None:
    app = create_app(service, infra.settings(service))
    routes = classified_routes(service, app)
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    documented = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            key = (service, method.upper(), path)
            assert op.get(ACCESS_EXTENSION) in {str(a) for a in Access}, f"{key}: class missing or unknown"
            assert key in routes, f"{key}: documented but not routed"
            assert op[ACCESS_EXTENSION] == routes[key][0], key
            assert op.get(LEDGER_EXTENSION) == routes[key][1], key
            documented += 1
    assert documented >= 1
    for key, (kind, ledger, route) in routes.items():
        assert authenticates(route.dependant) == (kind is not Access.PUBLIC), (
            f"{key}: {kind} vs its token check"
        )
        if kind in {Access.VIEW, Access.CHANGE}:
            if key in UNRECORDED:
                assert not ledger, f"{key} now records {ledger}: take it out of UNRECORDED"
            else:
                assert ledger, f"{key}: a {kind} route names the ledger action(s) it records"
        if kind is Access.READ and route.include_in_schema:
            answer = spec["paths"][key[2]][key[1].lower()].get("responses", {})
            carried = _field_names(answer, components, set()) & ALPR_FIELDS
            assert not carried, f"{key} is `read` but its answer carries {carried}: it is a view"


# --- the real calls -------------------------------------------------------------------------------

HOST = "CA0019400"
# Recognition has no view or change route: it is not started.
STARTED = ("ingest", "hotlist", "search", "audit", "sharing")


@dataclass
class LedgerStack(ActsAs):
    """Where each service listens, one client for all of them, and tokens by subject (``as_``)."""

    infra: Infra
    urls: dict[str, str]
    http: httpx.AsyncClient
    feed_dir: Path
    tokens: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)
    token_ttl: ClassVar[int] = 3600

    def url(self, service: str, path: str) -> str:
        return f"{self.urls[service]}{path}"


@pytest.fixture(scope="module")
async def ledger_stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LedgerStack]:
    bucket = f"ledger-{uuid.uuid4().hex[:12]}"
    feed_dir = tmp_path_factory.mktemp("feeds")
    own: dict[str, dict[str, Any]] = {
        "audit": {"signing_key": audit_signing_key(), "checkpoint_poll_seconds": 3600},
        "hotlist": {
            "scheduler": False,
            "stream_max_seconds": 1.0,
            "stream_keepalive_seconds": 0.5,
            "feed_dir": feed_dir,
        },
    }
    # Hotlist webhooks of the test point at a closed loopback port: the operator allows it.
    stack = loopback_stack(
        infra,
        STARTED,
        prefix="ledger",
        own=own,
        s3_bucket=bucket,
        outbound_allow_http=True,
        outbound_allow_networks="127.0.0.0/8",
    )
    ensure_bucket(make_object_store(stack.settings["search"]), bucket)
    async with stack.serving() as urls, httpx.AsyncClient(timeout=30) as http:
        yield LedgerStack(infra=infra, urls=urls, http=http, feed_dir=feed_dir)


@dataclass(frozen=True)
class Expect:
    """An event that must be on the ledger: its action, actor and (a subset of) its targets."""

    action: Action
    actor: str
    targets: tuple[str, ...] = ()
    purpose: str | None = None


@dataclass
class World:
    """What the recipes share, made through the API before they run."""

    stack: LedgerStack
    case: str = "2026-00123"
    ids: dict[str, str] = field(default_factory=dict)
    admitted: dict[Op, frozenset[str]] = field(default_factory=dict)
    op: Op = ("", "", "")

    def who(self, sub: str, *roles: str, **kwargs: Any) -> dict[str, str]:
        """The token of a recipe's call: its roles must be ones the route admits."""
        allowed = self.admitted[self.op]
        assert not allowed or set(roles) <= allowed, f"{self.op} does not admit {roles}"
        return self.stack.as_(sub, *roles, **kwargs)

    async def act(self, sub: str, *roles: str, at: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The recipe's own call: its route, as ``sub`` with ``roles``. The path's parameters are
        ``at``'s, else the world's ids of the same name (``{hotlist_id}`` is ``ids["hotlist"]``)."""
        service, method, template = self.op
        params = {f"{name}_id": value for name, value in self.ids.items()} | (at or {})
        return await self.call(service, method, template.format(**params), self.who(sub, *roles), **kw)

    async def call(self, service: str, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        resp = await self.stack.http.request(method, self.stack.url(service, path), headers=headers, **kw)
        assert resp.status_code < 300, f"{method} {service}{path}: {resp.status_code} {resp.text[:500]}"
        return resp.json() if resp.content and "json" in resp.headers.get("content-type", "") else None

    # Prerequisites, made by setup actors (never a recipe's actor, so the ledger holds one
    # event per recipe actor and action).
    @property
    def admin(self) -> dict[str, str]:
        return self.stack.as_("setup-admin", "alpr_admin")

    @property
    def officer(self) -> dict[str, str]:
        return self.stack.as_("setup-officer", "investigator", "operator")

    @property
    def service(self) -> dict[str, str]:
        return self.stack.as_("setup-service", "service")

    def partner(self, sub: str) -> dict[str, str]:
        return self.stack.as_(sub, "partner", agency=PARTNER, client_id=PARTNER_CLIENT)

    async def entry(self, headers: dict[str, str], plate: str, **extra: Any) -> str:
        body = {"plate": plate, "state": "CA", "case_number": self.case, "synopsis": "Stolen.", **extra}
        made = await self.call(
            "hotlist", "POST", f"/v1/hotlists/{self.ids['hotlist']}/entries", headers, json=body
        )
        return str(made["id"])

    async def hold(self, headers: dict[str, str]) -> str:
        body = {"case_number": self.case, "reason": "Evidence.", "detection_ids": [self.ids["detection"]]}
        return str((await self.call("search", "POST", "/v1/holds", headers, json=body))["id"])

    async def mou(self, ori: str, *, activate: bool, **extra: Any) -> str:
        now = datetime.now(UTC)
        body = {
            "agency_ori": ori,
            "effective_from": (now - DAY).isoformat(),
            "expires_at": (now + 365 * DAY).isoformat(),
            "purposes": ["stolen_vehicle", "criminal_investigation"],
            "max_results": 100,
            "terms": "Authorized users only.",
            **extra,
        }
        mou_id = str((await self.call("sharing", "POST", "/v1/mous", self.admin, json=body))["id"])
        if activate:
            await self.call("sharing", "POST", f"/v1/mous/{mou_id}:activate", self.admin, json={})
        return mou_id

    async def request(self) -> str:
        now = datetime.now(UTC)
        body = {
            "requester_name": "Det. Pat Partner",
            "purpose": "stolen_vehicle",
            "case_number": "2026-00777",
            "scope": {"plate": PLATE, "from": (now - DAY).isoformat(), "to": now.isoformat()},
        }
        return str(
            (await self.call("sharing", "POST", "/v1/requests", self.partner("setup-partner"), json=body))[
                "id"
            ]
        )


Recipe = Callable[[World], Awaitable[list[Expect]]]
RECIPES: dict[Op, Recipe] = {}
PLATE = "7LED123"
PARTNER, PARTNER_CLIENT = "CA0077700", "partner-ledger"
OTHER_PARTNER = "CA0088800"
DAY = timedelta(days=1)


def recipe(service: str, method: str, path: str) -> Callable[[Recipe], Recipe]:
    def register(fn: Recipe) -> Recipe:
        RECIPES[(service, method, path)] = fn
        return fn

    return register


def _jpeg() -> bytes:
    img = Image.new("RGB", (320, 240), (90, 120, 160))
    img.paste((250, 250, 250), (100, 100, 220, 140))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _window(hours: int = 24) -> dict[str, str]:
    now = datetime.now(UTC)
    return {"from": (now - timedelta(hours=hours)).isoformat(), "to": now.isoformat()}


async def setup_world(world: World) -> None:
    ids, call = world.ids, world.call
    camera = await call(
        "ingest",
        "POST",
        "/v1/cameras",
        world.admin,
        json={
            "name": "Ledger cam",
            "kind": "fixed",
            "client_id": "cam-ledger",
            "latitude": 37.3,
            "longitude": -121.9,
        },
    )
    ids["camera"] = str(camera["id"])
    device = world.stack.as_("cam-ledger", "camera", client_id="cam-ledger")
    captured = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    form = {"camera_id": ids["camera"], "captured_at": captured, "latitude": "37.3", "longitude": "-121.9"}
    frame = await call(
        "ingest", "POST", "/v1/frames", device, data=form, files={"image": ("f.jpg", _jpeg(), "image/jpeg")}
    )
    ids["frame"] = str(frame["id"])
    # A detection in search, and a second one to correct, as ingest's outbox delivers them.
    ids["detection"], ids["detection2"] = str(uuid.uuid4()), str(uuid.uuid4())
    rows = [
        {"id": ids["detection"], "agency": HOST, "camera_id": ids["camera"], "captured_at": captured,
         "latitude": 37.3, "longitude": -121.9, "plate": PLATE, "region": "CA", "confidence": 0.9},
        {"id": ids["detection2"], "agency": HOST, "camera_id": ids["camera"], "captured_at": captured,
         "latitude": 37.3, "longitude": -121.9, "plate": "8BAD000", "region": "CA", "confidence": 0.5},
    ]  # fmt: skip
    await call("search", "POST", "/v1/detections:batch", world.service, json={"detections": rows})
    # A hotlist with an approved, shareable entry for the plate; a match of the read raises an alert.
    hotlist = await call(
        "hotlist",
        "POST",
        "/v1/hotlists",
        world.admin,
        json={"name": "Stolen", "kind": "ncic_stolen_vehicle", "priority": 1},
    )
    ids["hotlist"] = str(hotlist["id"])
    ids["entry"] = await world.entry(world.officer, PLATE, shareable=True)
    second_admin = world.stack.as_("setup-admin-2", "alpr_admin")
    await call(
        "hotlist",
        "POST",
        f"/v1/hotlists/{ids['hotlist']}/entries/{ids['entry']}:approve",
        second_admin,
        json={},
    )
    read = {"read_id": ids["detection"], "plate": PLATE, "confidence": 0.9, "captured_at": captured,
            "camera_id": ids["camera"], "agency": HOST, "region": "CA"}  # fmt: skip
    await call("hotlist", "POST", "/v1/matches", world.service, json={"reads": [read]})
    alerts = await call("hotlist", "GET", "/v1/alerts", world.officer)
    ids["alert"] = str(alerts["items"][0]["id"])
    # A feed file for the hotlist source.
    (world.stack.feed_dir / "feed.csv").write_text("plate,state,reason\n9FEED99,CA,stolen\n")
    # A search to sample, and an audit that drew it.
    body = {"purpose": "stolen_vehicle", "case_number": world.case, "plate": PLATE, **_window(48)}
    await call("search", "POST", "/v1/searches", world.officer, json=body)
    auditor = world.stack.as_("setup-auditor", "auditor")
    audit = await call("audit", "POST", "/v1/audits", auditor, json={"size": 10})
    ids["audit"] = str(audit["id"])
    ids["sequence"] = str(audit["items"][0]["sequence"])
    # An audit with every finding recorded, for its memo (issue 17, R35).
    done = await call("audit", "POST", "/v1/audits", auditor, json={"size": 10})
    for item in done["items"]:
        finding = {"sequence": item["sequence"], "finding": "compliant"}
        await call("audit", "POST", f"/v1/audits/{done['id']}/findings", auditor, json=finding)
    ids["memo_audit"] = str(done["id"])
    ids["hold"] = await world.hold(world.officer)
    # A partner with an MOU in force that shares hotlists, and its approved request.
    partner = {
        "ori": PARTNER,
        "name": "Partner PD",
        "state": "CA",
        "kind": "law_enforcement",
        "client_ids": [PARTNER_CLIENT],
    }
    await call("sharing", "POST", "/v1/agencies", world.admin, json=partner)
    other = {**partner, "ori": OTHER_PARTNER, "name": "Other PD", "client_ids": ["partner-other"]}
    await call("sharing", "POST", "/v1/agencies", world.admin, json=other)
    await world.mou(PARTNER, activate=True, share_hotlists=True)
    ids["request"] = await world.request()
    commander = world.stack.as_("setup-commander", "commander")
    await call(
        "sharing", "POST", f"/v1/requests/{ids['request']}/decision", commander, json={"decision": "approve"}
    )


# --- ingest


@recipe("ingest", "POST", "/v1/cameras")
async def _create_camera(w: World) -> list[Expect]:
    body = {"name": "Mobile", "kind": "mobile", "client_id": "cam-ledger-2"}
    made = await w.act("rc-camera-new", "alpr_admin", json=body)
    return [Expect(Action.CAMERA_CREATED, "rc-camera-new", (str(made["id"]),))]


@recipe("ingest", "PATCH", "/v1/cameras/{camera_id}")
async def _update_camera(w: World) -> list[Expect]:
    await w.act("rc-camera-upd", "alpr_admin", json={"name": "Renamed"})
    return [Expect(Action.CAMERA_UPDATED, "rc-camera-upd", (w.ids["camera"],))]


@recipe("ingest", "POST", "/v1/cameras/{camera_id}/checks")
async def _check_camera(w: World) -> list[Expect]:
    await w.act("rc-camera-check", "operator", json={"result": "ok"})
    return [Expect(Action.CAMERA_CHECKED, "rc-camera-check", (w.ids["camera"],))]


@recipe("ingest", "GET", "/v1/frames/{frame_id}")
async def _view_frame(w: World) -> list[Expect]:
    params = {"purpose": "stolen_vehicle", "case_number": w.case}
    await w.act("rc-frame-view", "investigator", params=params)
    return [Expect(Action.FRAME_VIEWED, "rc-frame-view", (w.ids["frame"],), "stolen_vehicle")]


@recipe("ingest", "GET", "/v1/frames")
async def _list_frames(w: World) -> list[Expect]:
    await w.act("rc-frame-list", "alpr_admin")
    return [Expect(Action.FRAME_VIEWED, "rc-frame-list", (w.ids["frame"],))]


# --- hotlist


@recipe("hotlist", "POST", "/v1/hotlists")
async def _create_hotlist(w: World) -> list[Expect]:
    body = {"name": "Wanted", "kind": "ncic_wanted", "priority": 2}
    made = await w.act("rc-hotlist-new", "alpr_admin", json=body)
    return [Expect(Action.HOTLIST_CREATED, "rc-hotlist-new", (str(made["id"]),))]


@recipe("hotlist", "PATCH", "/v1/hotlists/{hotlist_id}")
async def _update_hotlist(w: World) -> list[Expect]:
    await w.act("rc-hotlist-upd", "alpr_admin", json={"priority": 3})
    return [Expect(Action.HOTLIST_UPDATED, "rc-hotlist-upd", (w.ids["hotlist"],))]


@recipe("hotlist", "POST", "/v1/hotlists/{hotlist_id}/entries")
async def _create_entry(w: World) -> list[Expect]:
    entry = await w.entry(w.who("rc-entry-new", "investigator"), "6NEW001")
    return [Expect(Action.HOTLIST_ENTRY_CREATED, "rc-entry-new", (entry,))]


@recipe("hotlist", "GET", "/v1/hotlists/{hotlist_id}/entries")
async def _list_entries(w: World) -> list[Expect]:
    await w.act("rc-entry-list", "operator", params={"plate": PLATE})
    return [Expect(Action.HOTLIST_ENTRY_VIEWED, "rc-entry-list", (w.ids["hotlist"], w.ids["entry"]))]


@recipe("hotlist", "GET", "/v1/hotlists/{hotlist_id}/entries/{entry_id}")
async def _view_entry(w: World) -> list[Expect]:
    await w.act("rc-entry-view", "operator")
    return [Expect(Action.HOTLIST_ENTRY_VIEWED, "rc-entry-view", (w.ids["hotlist"], w.ids["entry"]))]


@recipe("hotlist", "POST", "/v1/hotlists/{hotlist_id}/entries/{entry_id}:approve")
async def _approve_entry(w: World) -> list[Expect]:
    entry = await w.entry(w.officer, "6APP001")
    await w.act("rc-entry-approve", "alpr_admin", at={"entry_id": entry}, json={})
    return [Expect(Action.HOTLIST_ENTRY_APPROVED, "rc-entry-approve", (entry,))]


@recipe("hotlist", "POST", "/v1/hotlists/{hotlist_id}/entries/{entry_id}:reject")
async def _reject_entry(w: World) -> list[Expect]:
    entry = await w.entry(w.officer, "6REJ001")
    await w.act("rc-entry-reject", "alpr_admin", at={"entry_id": entry}, json={})
    return [Expect(Action.HOTLIST_ENTRY_REJECTED, "rc-entry-reject", (entry,))]


@recipe("hotlist", "PATCH", "/v1/hotlists/{hotlist_id}/entries/{entry_id}")
async def _update_entry(w: World) -> list[Expect]:
    entry = await w.entry(w.who("rc-entry-upd", "investigator"), "6UPD001")
    await w.act(
        "rc-entry-upd", "investigator", at={"entry_id": entry}, json={"synopsis": "Stolen overnight."}
    )
    return [Expect(Action.HOTLIST_ENTRY_UPDATED, "rc-entry-upd", (entry,))]


async def _source(w: World, headers: dict[str, str]) -> str:
    body = {"hotlist_id": w.ids["hotlist"], "url": (w.stack.feed_dir / "feed.csv").as_uri(), "format": "csv"}
    return str((await w.call("hotlist", "POST", "/v1/sources", headers, json=body))["id"])


@recipe("hotlist", "POST", "/v1/sources")
async def _create_source(w: World) -> list[Expect]:
    source = await _source(w, w.who("rc-source-new", "alpr_admin"))
    return [Expect(Action.HOTLIST_UPDATED, "rc-source-new", (w.ids["hotlist"], source))]


@recipe("hotlist", "PATCH", "/v1/sources/{source_id}")
async def _update_source(w: World) -> list[Expect]:
    source = await _source(w, w.admin)
    await w.act("rc-source-upd", "alpr_admin", at={"source_id": source}, json={"enabled": False})
    return [Expect(Action.HOTLIST_UPDATED, "rc-source-upd", (w.ids["hotlist"], source))]


@recipe("hotlist", "POST", "/v1/sources/{source_id}:sync")
async def _sync_source(w: World) -> list[Expect]:
    source = await _source(w, w.admin)
    result = await w.act("rc-source-sync", "alpr_admin", at={"source_id": source})
    assert result["status"] == "ok", result
    return [Expect(Action.HOTLIST_SYNCED, "rc-source-sync", (w.ids["hotlist"], source))]


@recipe("hotlist", "GET", "/v1/alerts")
async def _list_alerts(w: World) -> list[Expect]:
    await w.act("rc-alert-list", "operator")
    return [Expect(Action.ALERT_VIEWED, "rc-alert-list", (w.ids["alert"],))]


@recipe("hotlist", "GET", "/v1/alerts/{alert_id}")
async def _view_alert(w: World) -> list[Expect]:
    await w.act("rc-alert-view", "supervisor")
    return [Expect(Action.ALERT_VIEWED, "rc-alert-view", (w.ids["alert"],))]


@recipe("hotlist", "GET", "/v1/alerts/stream")
async def _stream_alerts(w: World) -> list[Expect]:
    # From the first event on: the opening is recorded, then the alert it delivers.
    headers = {**w.who("rc-alert-stream", "operator"), "Last-Event-ID": "0"}
    async with w.stack.http.stream(
        "GET", w.stack.url("hotlist", "/v1/alerts/stream"), headers=headers
    ) as resp:
        assert resp.status_code == 200
        text = "".join([chunk async for chunk in resp.aiter_text()])
    assert w.ids["alert"] in text
    return [
        Expect(Action.ALERT_VIEWED, "rc-alert-stream"),
        Expect(Action.ALERT_VIEWED, "rc-alert-stream", (w.ids["alert"],)),
    ]


@recipe("hotlist", "POST", "/v1/alerts/{alert_id}/transitions")
async def _move_alert(w: World) -> list[Expect]:
    await w.act("rc-alert-move", "operator", json={"to": "tentative_hit"})
    return [Expect(Action.ALERT_TRANSITIONED, "rc-alert-move", (w.ids["alert"], w.ids["detection"]))]


async def _webhook(w: World, headers: dict[str, str]) -> str:
    body = {"url": "http://127.0.0.1:9/hook", "hotlist_ids": [w.ids["hotlist"]]}
    return str((await w.call("hotlist", "POST", "/v1/webhooks", headers, json=body))["id"])


@recipe("hotlist", "POST", "/v1/webhooks")
async def _create_webhook(w: World) -> list[Expect]:
    hook = await _webhook(w, w.who("rc-webhook-new", "alpr_admin"))
    return [Expect(Action.HOTLIST_UPDATED, "rc-webhook-new", (hook,))]


@recipe("hotlist", "DELETE", "/v1/webhooks/{webhook_id}")
async def _delete_webhook(w: World) -> list[Expect]:
    hook = await _webhook(w, w.admin)
    await w.act("rc-webhook-del", "alpr_admin", at={"webhook_id": hook})
    return [Expect(Action.HOTLIST_UPDATED, "rc-webhook-del", (hook,))]


# --- search


@recipe("search", "POST", "/v1/searches")
async def _search(w: World) -> list[Expect]:
    body = {"purpose": "stolen_vehicle", "case_number": w.case, "plate": PLATE, **_window(48)}
    await w.act("rc-search", "analyst", json=body)
    return [Expect(Action.SEARCH_EXECUTED, "rc-search", (w.ids["detection"],), "stolen_vehicle")]


async def _search_request(w: World, headers: dict[str, str]) -> str:
    """A search request (issue 17, warrant-style tiers): an area canvass for a supervisor's
    prior approval."""
    body = {
        "purpose": "stolen_vehicle",
        "case_number": w.case,
        "justification": "Canvass near the theft, the night of the report.",
        "criteria": {**_window(24), "area": {"latitude": 37.3, "longitude": -121.9, "radius_m": 500}},
    }
    return str((await w.call("search", "POST", "/v1/search-requests", headers, json=body))["id"])


@recipe("search", "POST", "/v1/search-requests")
async def _create_search_request(w: World) -> list[Expect]:
    made = await _search_request(w, w.who("rc-sr-new", "investigator"))
    return [Expect(Action.SEARCH_REQUEST_CREATED, "rc-sr-new", (made,), "stolen_vehicle")]


@recipe("search", "GET", "/v1/search-requests")
async def _list_search_requests(w: World) -> list[Expect]:
    made = await _search_request(w, w.officer)
    await w.act("rc-sr-list", "supervisor")
    return [Expect(Action.SEARCH_REQUEST_VIEWED, "rc-sr-list", (made,))]


@recipe("search", "GET", "/v1/search-requests/{request_id}")
async def _view_search_request(w: World) -> list[Expect]:
    made = await _search_request(w, w.officer)
    await w.act("rc-sr-view", "supervisor", at={"request_id": made})
    return [Expect(Action.SEARCH_REQUEST_VIEWED, "rc-sr-view", (made,))]


@recipe("search", "POST", "/v1/search-requests/{request_id}/decision")
async def _decide_search_request(w: World) -> list[Expect]:
    made = await _search_request(w, w.officer)
    await w.act("rc-sr-decide", "supervisor", at={"request_id": made}, json={"approve": True, "note": "Ok."})
    return [Expect(Action.SEARCH_REQUEST_DECIDED, "rc-sr-decide", (made,), "stolen_vehicle")]


@recipe("search", "GET", "/v1/detections/{detection_id}")
async def _view_detection(w: World) -> list[Expect]:
    params = {"purpose": "criminal_investigation", "case_number": w.case}
    await w.act("rc-detection-view", "investigator", params=params)
    return [
        Expect(Action.DETECTION_VIEWED, "rc-detection-view", (w.ids["detection"],), "criminal_investigation")
    ]


@recipe("search", "POST", "/v1/detections/{detection_id}/corrections")
async def _correct(w: World) -> list[Expect]:
    body = {
        "plate": "8BAD001",
        "note": "Misread 0 for 1.",
        "purpose": "stolen_vehicle",
        "case_number": w.case,
    }
    await w.act("rc-correct", "analyst", at={"detection_id": w.ids["detection2"]}, json=body)
    return [Expect(Action.DETECTION_CORRECTED, "rc-correct", (w.ids["detection2"],), "stolen_vehicle")]


@recipe("search", "POST", "/v1/holds")
async def _create_hold(w: World) -> list[Expect]:
    hold = await w.hold(w.who("rc-hold-new", "records"))
    return [Expect(Action.HOLD_CREATED, "rc-hold-new", (hold, w.ids["detection"]))]


@recipe("search", "GET", "/v1/holds/{hold_id}")
async def _view_hold(w: World) -> list[Expect]:
    await w.act("rc-hold-view", "supervisor")
    return [Expect(Action.HOLD_VIEWED, "rc-hold-view", (w.ids["hold"], w.ids["detection"]))]


@recipe("search", "POST", "/v1/holds/{hold_id}:release")
async def _release_hold(w: World) -> list[Expect]:
    hold = await w.hold(w.officer)
    await w.act("rc-hold-release", "supervisor", at={"hold_id": hold})
    return [Expect(Action.HOLD_RELEASED, "rc-hold-release", (hold,))]


@recipe("search", "POST", "/v1/holds/{hold_id}/export")
async def _export_hold(w: World) -> list[Expect]:
    await w.act("rc-hold-export", "investigator")
    return [Expect(Action.HOLD_EXPORTED, "rc-hold-export", (w.ids["hold"],))]


@recipe("search", "PUT", "/v1/settings/retention")
async def _set_retention(w: World) -> list[Expect]:
    await w.act("rc-retention", "alpr_admin", json={"retention_days": 365})
    return [Expect(Action.AGENCY_UPDATED, "rc-retention")]


# --- audit


@recipe("audit", "GET", "/v1/events")
async def _query_ledger(w: World) -> list[Expect]:
    await w.act("rc-events", "auditor", params={"action": "search.executed"})
    return [Expect(Action.LEDGER_QUERIED, "rc-events")]


@recipe("audit", "GET", "/v1/ledger/verify")
async def _verify(w: World) -> list[Expect]:
    await w.act("rc-verify", "auditor")
    return [Expect(Action.LEDGER_VERIFIED, "rc-verify")]


@recipe("audit", "GET", "/v1/checkpoints")
async def _list_checkpoints(w: World) -> list[Expect]:
    await w.act("rc-checkpoints", "auditor")
    return [Expect(Action.LEDGER_QUERIED, "rc-checkpoints")]


@recipe("audit", "POST", "/v1/checkpoints")
async def _make_checkpoint(w: World) -> list[Expect]:
    await w.act("rc-checkpoint-new", "auditor")
    return [Expect(Action.LEDGER_CHECKPOINTED, "rc-checkpoint-new")]


@recipe("audit", "POST", "/v1/audits")
async def _create_audit(w: World) -> list[Expect]:
    made = await w.act("rc-audit-new", "auditor", json={"size": 10})
    return [Expect(Action.AUDIT_CREATED, "rc-audit-new", (str(made["id"]),))]


@recipe("audit", "GET", "/v1/audits")
async def _list_audits(w: World) -> list[Expect]:
    await w.act("rc-audit-list", "auditor")
    return [Expect(Action.LEDGER_QUERIED, "rc-audit-list")]


@recipe("audit", "GET", "/v1/audits/{audit_id}")
async def _view_audit(w: World) -> list[Expect]:
    await w.act("rc-audit-view", "auditor")
    return [Expect(Action.LEDGER_QUERIED, "rc-audit-view", (w.ids["audit"],))]


@recipe("audit", "POST", "/v1/audits/{audit_id}/findings")
async def _finding(w: World) -> list[Expect]:
    body = {"sequence": int(w.ids["sequence"]), "finding": "compliant", "note": "Purpose and case match."}
    await w.act("rc-finding", "auditor", json=body)
    return [Expect(Action.AUDIT_FINDING_RECORDED, "rc-finding", (w.ids["audit"], w.ids["sequence"]))]


@recipe("audit", "GET", "/v1/audits/{audit_id}/memo")
async def _audit_memo(w: World) -> list[Expect]:
    await w.act("rc-audit-memo", "auditor", at={"audit_id": w.ids["memo_audit"]}, params={"format": "pdf"})
    return [Expect(Action.LEDGER_QUERIED, "rc-audit-memo", (w.ids["memo_audit"],))]


@recipe("audit", "GET", "/v1/reports/sb34")
async def _report(w: World) -> list[Expect]:
    today = datetime.now(UTC).date()
    params = {"from": (today - DAY).isoformat(), "to": today.isoformat()}
    await w.act("rc-report", "auditor", params=params)
    return [Expect(Action.REPORT_GENERATED, "rc-report")]


# --- sharing


@recipe("sharing", "POST", "/v1/agencies")
async def _create_agency(w: World) -> list[Expect]:
    body = {
        "ori": "CA0099900",
        "name": "New PD",
        "state": "CA",
        "kind": "law_enforcement",
        "client_ids": ["partner-new"],
    }
    await w.act("rc-agency-new", "alpr_admin", json=body)
    return [Expect(Action.AGENCY_CREATED, "rc-agency-new", ("CA0099900",))]


@recipe("sharing", "PATCH", "/v1/agencies/{ori}")
async def _update_agency(w: World) -> list[Expect]:
    await w.act("rc-agency-upd", "alpr_admin", at={"ori": OTHER_PARTNER}, json={"name": "Other Police"})
    return [Expect(Action.AGENCY_UPDATED, "rc-agency-upd", (OTHER_PARTNER,))]


@recipe("sharing", "POST", "/v1/mous")
async def _create_mou(w: World) -> list[Expect]:
    now = datetime.now(UTC)
    body = {
        "agency_ori": OTHER_PARTNER,
        "effective_from": now.isoformat(),
        "expires_at": (now + DAY).isoformat(),
        "purposes": ["stolen_vehicle"],
        "terms": "Authorized users only.",
    }
    made = await w.act("rc-mou-new", "alpr_admin", json=body)
    return [Expect(Action.MOU_CREATED, "rc-mou-new", (str(made["id"]), OTHER_PARTNER))]


@recipe("sharing", "POST", "/v1/mous/{mou_id}:activate")
async def _activate_mou(w: World) -> list[Expect]:
    mou = await w.mou(OTHER_PARTNER, activate=False)
    await w.act("rc-mou-activate", "alpr_admin", at={"mou_id": mou}, json={})
    return [Expect(Action.MOU_STATE_CHANGED, "rc-mou-activate", (mou, OTHER_PARTNER))]


@recipe("sharing", "POST", "/v1/mous/{mou_id}:suspend")
async def _suspend_mou(w: World) -> list[Expect]:
    mou = await w.mou(OTHER_PARTNER, activate=True)
    await w.act("rc-mou-suspend", "alpr_admin", at={"mou_id": mou}, json={})
    return [Expect(Action.MOU_STATE_CHANGED, "rc-mou-suspend", (mou, OTHER_PARTNER))]


@recipe("sharing", "POST", "/v1/requests")
async def _file_request(w: World) -> list[Expect]:
    now = datetime.now(UTC)
    body = {"requester_name": "Det. Lee", "purpose": "criminal_investigation", "case_number": "2026-00778",
            "scope": {"plate": PLATE, "from": (now - DAY).isoformat(), "to": now.isoformat()}}  # fmt: skip
    w.who("rc-request", "partner")  # the role check; the token is a partner client's
    made = await w.call("sharing", "POST", "/v1/requests", w.partner("rc-request"), json=body)
    return [Expect(Action.SHARING_REQUESTED, "rc-request", (str(made["id"]),), "criminal_investigation")]


@recipe("sharing", "GET", "/v1/requests")
async def _list_requests(w: World) -> list[Expect]:
    request = await w.request()
    listed = await w.act("rc-req-list", "commander")
    assert request in [r["id"] for r in listed], listed
    return [Expect(Action.SHARING_REQUEST_VIEWED, "rc-req-list", (request,))]


@recipe("sharing", "GET", "/v1/requests/{request_id}")
async def _view_request(w: World) -> list[Expect]:
    request = await w.request()
    await w.act("rc-req-view", "commander", at={"request_id": request})
    return [Expect(Action.SHARING_REQUEST_VIEWED, "rc-req-view", (request,))]


@recipe("sharing", "POST", "/v1/requests/{request_id}/decision")
async def _decide(w: World) -> list[Expect]:
    request = await w.request()
    await w.act(
        "rc-decide", "commander", at={"request_id": request}, json={"decision": "deny", "note": "No."}
    )
    return [Expect(Action.SHARING_DECIDED, "rc-decide", (request,), "stolen_vehicle")]


@recipe("sharing", "GET", "/v1/requests/{request_id}/results")
async def _results(w: World) -> list[Expect]:
    w.who("rc-results", "partner")
    answer = await w.call(
        "sharing", "GET", f"/v1/requests/{w.ids['request']}/results", w.partner("rc-results")
    )
    assert [i["id"] for i in answer["items"]] == [w.ids["detection"]], answer
    return [
        Expect(
            Action.SHARING_RELEASED, "rc-results", (w.ids["request"], w.ids["detection"]), "stolen_vehicle"
        )
    ]


@recipe("sharing", "GET", "/v1/shared-hotlist")
async def _shared_hotlist(w: World) -> list[Expect]:
    w.who("rc-shared", "partner")
    answer = await w.call("sharing", "GET", "/v1/shared-hotlist", w.partner("rc-shared"))
    assert PLATE in {i["plate"] for i in answer["items"]}, answer
    return [Expect(Action.SHARING_RELEASED, "rc-shared")]


async def _pending_policy(w: World, policy: dict[str, Any]) -> int:
    """A version of the host's policy that loosens a rule (issue 17): pending a commander."""
    body = {"policy": policy, "reason": "Ledger recipe."}
    made = await w.call("sharing", "PUT", f"/v1/agencies/{HOST}/policy", w.admin, json=body)
    assert made["status"] == "pending_approval", made
    return int(made["version"])


@recipe("sharing", "PUT", "/v1/agencies/{ori}/policy")
async def _put_policy(w: World) -> list[Expect]:
    body = {"policy": {"search": {"max_search_days": 60}}, "reason": "Shorter searches."}
    made = await w.act("rc-policy-put", "alpr_admin", at={"ori": HOST}, json=body)
    return [
        Expect(
            Action.AGENCY_POLICY_PROPOSED,
            "rc-policy-put",
            (HOST, f"{HOST}/policy/versions/{made['version']}"),
        )
    ]


@recipe("sharing", "POST", "/v1/agencies/{ori}/policy/versions/{version}/approve")
async def _approve_policy(w: World) -> list[Expect]:
    version = await _pending_policy(w, {"sharing": {"exigent_accepted": True}})
    await w.act(
        "rc-policy-approve", "commander", at={"ori": HOST, "version": version}, json={"note": "Reviewed."}
    )
    return [
        Expect(
            Action.AGENCY_POLICY_APPROVED, "rc-policy-approve", (HOST, f"{HOST}/policy/versions/{version}")
        )
    ]


@recipe("sharing", "POST", "/v1/agencies/{ori}/policy/versions/{version}/reject")
async def _reject_policy(w: World) -> list[Expect]:
    version = await _pending_policy(w, {"sharing": {"federal_allowed": True, "exigent_accepted": True}})
    await w.act("rc-policy-reject", "commander", at={"ori": HOST, "version": version}, json={"note": "No."})
    return [
        Expect(Action.AGENCY_POLICY_REJECTED, "rc-policy-reject", (HOST, f"{HOST}/policy/versions/{version}"))
    ]


# --- finding the events


def _matches(event: dict[str, Any], expect: Expect) -> bool:
    return (
        event["action"] == expect.action
        and event["actor"]["sub"] == expect.actor
        and set(expect.targets) <= set(event.get("targets") or [])
        and (expect.purpose is None or event.get("purpose") == expect.purpose)
    )


async def _find_all(stack: LedgerStack, agency: str, expected: list[Expect], since: str) -> list[Expect]:
    """Polls the ledger until every expected event is on it or the deadline passes; answers the
    ones still missing."""
    auditor = stack.as_("ledger-auditor", "auditor", agency=agency)
    missing = list(expected)
    deadline = time.monotonic() + DEADLINE_S
    while missing:
        found = []
        for expect in missing:
            params = {"action": str(expect.action), "actor": expect.actor, "since": since, "limit": "200"}
            resp = await stack.http.get(stack.url("audit", "/v1/events"), params=params, headers=auditor)
            assert resp.status_code == 200, resp.text
            if any(_matches(e, expect) for e in resp.json()["items"]):
                found.append(expect)
        missing = [e for e in missing if e not in found]
        if not missing or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)  # polling interval, not a wait for anything in particular
    return missing


async def test_views_and_changes_leave_their_event(ledger_stack: LedgerStack, infra: Infra) -> None:
    routes: dict[Op, tuple[Access, list[str], APIRoute]] = {}
    for service in SERVICE_NAMES:
        routes |= classified_routes(service, create_app(service, infra.settings(service)))
    recorded = {op for op, (kind, _, _) in routes.items() if kind in {Access.VIEW, Access.CHANGE}}
    assert not set(RECIPES) - recorded, f"recipes of no view or change: {sorted(set(RECIPES) - recorded)}"
    assert not set(NOT_YET) - recorded, f"NOT_YET names no view or change: {sorted(set(NOT_YET) - recorded)}"
    assert not set(RECIPES) & set(NOT_YET), (
        f"both a recipe and NOT_YET: {sorted(set(RECIPES) & set(NOT_YET))}"
    )
    untested = recorded - set(RECIPES) - set(NOT_YET)
    assert not untested, f"views and changes without a recipe (add one to RECIPES): {sorted(untested)}"

    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    world = World(stack=ledger_stack)
    world.admitted = {
        op: (required_roles(route.dependant) or (frozenset(), False))[0]
        for op, (_, _, route) in routes.items()
    }
    await setup_world(world)
    expected: dict[Op, list[Expect]] = {}
    for op, make in RECIPES.items():
        world.op = op
        events = await make(world)
        declared = set(routes[op][1])
        for event in events:
            assert str(event.action) in declared, (
                f"{op} records {event.action}, not in its x-alpr-ledger {declared}"
            )
        expected[op] = events
    flat = [e for events in expected.values() for e in events]
    missing = await _find_all(ledger_stack, HOST, flat, since)
    where = {e: op for op, events in expected.items() for e in events}
    assert not missing, "not on the ledger: " + "; ".join(f"{where[e]} -> {e}" for e in missing)
