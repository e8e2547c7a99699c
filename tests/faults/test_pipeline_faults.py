"""Faults in the camera-to-alert pipeline (issue 20 item 4), each driven against a whole stack
this module starts with `alpr dev up`'s own code (its own data directory and port offset):
recognition killed mid-stream, the S3 store frozen and killed, PostgreSQL stopped fast and by a
crash, search and hotlist killed under edge reads, and a soak. Each asserts, counting by id in
the stack's own database and bucket, that no acknowledged frame, read, alert or ledger event is
lost or duplicated, and prints its figures (run with -s: `make test-faults`).

Cameras behave as real ones do: an upload answered 503 or not answered at all is sent again
(the same image answers 200 with its first id), so every frame and read is acknowledged in the
end. Draining polls the database until the pipeline is idle or a deadline passes."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import random
import signal
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
from minio import Minio
from PIL import Image, ImageDraw, ImageFont

from alpr_devstack.components import EmbeddedPostgres, pid_running
from alpr_devstack.stack import SERVICES, Stack, StackConfig, free_port_offset

pytestmark = [
    pytest.mark.faults,
    # The stack's processes are started from this process (`alpr dev up`'s code) and outlive
    # their Popen objects on purpose: they are stopped by pid, as `alpr dev down` does.
    pytest.mark.filterwarnings("ignore:subprocess [0-9]+ is still running:ResourceWarning"),
]

AGENCY = "CA0019400"
HIT_PLATE = "7ABC123"  # on the seeded NCIC sample hotlist (no expiry)
DRAIN_S = float(os.environ.get("ALPR_FAULT_DRAIN_S", "300"))
ACK_S = 240.0  # how long a camera keeps sending one upload again
OK = {200, 201, 202}


def _say(line: str) -> None:
    print(line)  # noqa: T201 - the run's figures, shown with -s


class Pipeline:
    """A whole stack started by `alpr dev up`'s code; components stopped, killed, frozen and
    started again by pid, its database and bucket read to count what arrived."""

    def __init__(self, data_dir: Path) -> None:
        self.stack = Stack(StackConfig(data_dir=data_dir, port_offset=free_port_offset()), say=lambda _: None)
        started = time.monotonic()
        self.state = self.stack.up(timeout_s=240)
        _say(f"\nstack up in {time.monotonic() - started:.0f} s ({data_dir})")
        self.database_url = self.state["env"]["DATABASE_URL"]
        secrets = self.stack.secrets()
        self.bucket = self.state["env"]["S3_BUCKET"]
        self.s3 = Minio(
            self.state["env"]["S3_ENDPOINT"].removeprefix("http://"),
            access_key=secrets["s3_access_key"],
            secret_key=secrets["s3_secret_key"],
            secure=False,
        )
        self.admin = self.token("fault-admin", ["alpr_admin"])
        self.operator = self.token("fault-operator", ["operator"])
        self.investigator = self.token("fault-investigator", ["investigator"])

    def url(self, service: str) -> str:
        return self.stack.config.service_url(service)

    def token(self, sub: str, roles: list[str], client_id: str | None = None) -> dict[str, str]:
        claims = {
            "sub": sub,
            "name": sub,
            "agency": AGENCY,
            "roles": roles,
            "training_expires": "2099-12-31",
            "client_id": client_id,
            "ttl": 3600,
        }
        return {"Authorization": f"Bearer {self.stack.mint_token(claims)}"}

    def pid(self, name: str) -> int:
        if name == "postgres":
            pid = self.postgres.pid()
            assert pid is not None
            return pid
        return int(self.stack.state()["components"][name]["pid"])

    @property
    def postgres(self) -> EmbeddedPostgres:
        comp = self.stack.state()["components"]["postgres"]
        return EmbeddedPostgres(Path(comp["data"]), comp["port"])

    def signal(self, name: str, sig: signal.Signals) -> None:
        os.kill(self.pid(name), sig)

    def kill(self, name: str) -> None:
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(psutil.NoSuchProcess, ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

    def restart(self, name: str) -> float:
        started = time.monotonic()
        self.stack.restart(name)
        return time.monotonic() - started

    async def outage(self, *names: str, seconds: float) -> tuple[float, float]:
        """``names`` SIGKILLed, down for ``seconds`` (the outage itself) and started again: when
        they were killed, and how long their restarts took."""
        for name in names:
            self.kill(name)
        killed = time.monotonic()
        await asyncio.sleep(seconds)
        return killed, sum(self.restart(name) for name in names)

    def heal(self) -> None:
        """Whatever a failed test left stopped runs again, so the next test starts whole."""
        components = self.stack.state()["components"]
        for name, comp in components.items():
            if name == "postgres":
                if self.postgres.pid() is None:
                    self.postgres.start()
                continue
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(int(comp["pid"]), signal.SIGCONT)
            if not pid_running(comp.get("pid")) and name in {"s3", *SERVICES}:
                self.stack.restart(name)

    def camera(self, name: str) -> tuple[str, dict[str, str]]:
        """A new camera (its id) and its machine token: each test counts its own camera's data."""
        client_id = f"cam-{name}-{uuid.uuid4().hex[:6]}"
        resp = httpx.post(
            f"{self.url('ingest')}/v1/cameras",
            json={"name": name, "kind": "fixed", "client_id": client_id, "latitude": 37.33,
                  "longitude": -121.89, "status": "active"},
            headers=self.admin,
            timeout=30,
        )  # fmt: skip
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"]), self.token(client_id, ["camera"], client_id=client_id)

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url, timeout=10)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    def objects(self, prefix: str) -> set[str]:
        return {str(o.object_name) for o in self.s3.list_objects(self.bucket, prefix=prefix, recursive=True)}

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each process of the stack (with its children), in MB."""
        out: dict[str, float] = {}
        for name in self.stack.state()["components"]:
            try:
                proc = psutil.Process(self.pid(name))
                procs = [proc, *proc.children(recursive=True)]
                out[name] = sum(p.memory_info().rss for p in procs) / 1e6
            except (psutil.NoSuchProcess, AssertionError):
                out[name] = float("nan")
        return out


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    rig = Pipeline(tmp_path_factory.mktemp("faults") / "alpr")
    try:
        yield rig
    finally:
        with contextlib.suppress(Exception):
            for comp in rig.stack.state()["components"].values():
                with contextlib.suppress(ProcessLookupError, TypeError, KeyError):
                    os.kill(int(comp["pid"]), signal.SIGCONT)
        rig.stack.down(quiet=True)


@pytest.fixture
def rig(pipeline: Pipeline) -> Iterator[Pipeline]:
    pipeline.heal()
    yield pipeline
    pipeline.heal()


# -- what cameras send ---------------------------------------------------------------------


def frame_image(text: str, seed: int) -> bytes:
    """A 800x600 frame with one plate (a white plate with dark characters on a car's rear),
    which the shipped model finds (it reads one plate per frame; the text need not be exact)."""
    rng = random.Random(seed)
    img = Image.new("RGB", (800, 600), (rng.randint(60, 140),) * 3)
    draw = ImageDraw.Draw(img)
    body = (rng.randint(20, 230), rng.randint(20, 230), rng.randint(20, 230))
    draw.rounded_rectangle((150, 180, 650, 560), radius=40, fill=body)
    draw.rectangle((190, 210, 610, 330), fill=(30, 40, 50))
    plate = Image.new("RGB", (400, 200), (245, 245, 240))
    pen = ImageDraw.Draw(plate)
    pen.rounded_rectangle((3, 3, 396, 196), radius=14, outline=(20, 20, 60), width=4)
    pen.text((200, 30), "CALIFORNIA", font=ImageFont.load_default(28), fill=(150, 20, 20), anchor="mm")
    pen.text((200, 115), text, font=ImageFont.load_default(96), fill=(20, 20, 70), anchor="mm")
    img.paste(plate.resize((180, 90)), (310 + rng.randint(-20, 20), 420))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def crop_image(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (200 + seed % 50, 200, 200)).save(out, format="JPEG")
    return out.getvalue()


def plate_for(i: int) -> str:
    return f"Q{i:06d}"


@dataclass
class Traffic:
    """What the cameras and users saw: ids acknowledged, every answer's status, latencies."""

    acked: dict[str, str] = field(default_factory=dict)  # our key -> the id the service gave
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    hits: set[str] = field(default_factory=set)  # read ids of reads of the hotlist plate

    def note(self, kind: str, status: int | str, elapsed: float) -> None:
        self.statuses[f"{kind} {status}"] += 1
        if status in OK:
            self.latencies.setdefault(kind, []).append(elapsed)

    def errors(self, allowed: set[int | str]) -> dict[str, int]:
        out = {}
        for key, n in self.statuses.items():
            status = key.split(" ", 1)[1]
            code: int | str = int(status) if status.isdigit() else status
            if code not in OK and code not in allowed:
                out[key] = n
        return out


async def _send(
    traffic: Traffic, kind: str, key: str, call: Callable[[], Awaitable[httpx.Response]]
) -> httpx.Response | None:
    """Sends until acknowledged, as a camera does (503 or no answer: again after a second)."""
    deadline = time.monotonic() + ACK_S
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            resp = await call()
        except httpx.TransportError as exc:
            traffic.note(kind, type(exc).__name__, time.monotonic() - started)
            await asyncio.sleep(1)
            continue
        traffic.note(kind, resp.status_code, time.monotonic() - started)
        if resp.status_code in OK:
            traffic.acked[key] = str(resp.json()["id"])
            return resp
        if resp.status_code != 503:
            return resp  # an error the test reports: not retried
        await asyncio.sleep(1)
    return None


async def upload_frames(
    rig: Pipeline, http: httpx.AsyncClient, camera: tuple[str, dict[str, str]], count: int, rate: float,
    traffic: Traffic, tag: str,
) -> None:  # fmt: skip
    camera_id, headers = camera
    images = [frame_image(f"{tag[:2].upper()}{i:04d}", seed=hash((tag, i))) for i in range(count)]
    started = time.monotonic()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        form = {"camera_id": camera_id, "captured_at": datetime.now(UTC).isoformat(), "latitude": "37.33",
                "longitude": "-121.89"}  # fmt: skip

        async def call() -> httpx.Response:
            return await http.post(
                f"{rig.url('ingest')}/v1/frames",
                data=form,
                files={"image": (f"f{i}.jpg", images[i], "image/jpeg")},
                headers=headers,
            )

        await _send(traffic, "frame", f"frame-{i}", call)

    await asyncio.gather(*(one(i) for i in range(count)))


async def post_reads(
    rig: Pipeline, http: httpx.AsyncClient, camera: tuple[str, dict[str, str]], count: int, rate: float,
    traffic: Traffic, offset: int = 0,
) -> None:  # fmt: skip
    """Edge reads, one in five of the hotlist plate; each with its own capture time."""
    camera_id, headers = camera
    started = time.monotonic()
    base = datetime.now(UTC)

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        n = offset + i
        plate = HIT_PLATE if n % 5 == 0 else plate_for(n)
        form = {"camera_id": camera_id, "captured_at": (base + timedelta(milliseconds=n)).isoformat(),
                "latitude": "37.33", "longitude": "-121.89", "plate": plate, "region": "CA",
                "confidence": "0.93"}  # fmt: skip
        crop = crop_image(n)

        async def call() -> httpx.Response:
            return await http.post(
                f"{rig.url('ingest')}/v1/reads",
                data=form,
                files={"crop": ("c.jpg", crop, "image/jpeg")},
                headers=headers,
            )

        resp = await _send(traffic, "read", f"read-{n}", call)
        if resp is not None and resp.status_code in OK and plate == HIT_PLATE:
            traffic.hits.add(str(resp.json()["id"]))

    await asyncio.gather(*(one(i) for i in range(count)))


async def run_searches(
    rig: Pipeline, http: httpx.AsyncClient, seconds: float, rate: float, traffic: Traffic
) -> None:
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < seconds:
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        query = {"purpose": "stolen_vehicle", "case_number": "2026-000512", "plate": HIT_PLATE,
                 "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                 "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}  # fmt: skip
        t0 = time.monotonic()
        try:
            resp = await http.post(f"{rig.url('search')}/v1/searches", json=query, headers=rig.investigator)
            traffic.note("search", resp.status_code, time.monotonic() - t0)
        except httpx.TransportError as exc:
            traffic.note("search", type(exc).__name__, time.monotonic() - t0)
        i += 1


# -- what arrived ----------------------------------------------------------------------------


@dataclass
class Tally:
    frames: dict[str, str]  # frame id -> status
    reads_per_frame: Counter[str]
    reads: set[str]  # edge and frame reads of the camera
    detections: Counter[str]
    delivered: Counter[tuple[str, str]]  # (read id, topic) -> delivered outbox messages
    pending: int
    alerts: Counter[str]  # read id -> alerts
    alert_entries: dict[str, set[str]]  # read id -> the hotlist entries it matched
    alert_ids: set[str]
    alert_events: Counter[str]  # alert id -> alert.created ledger events
    camera_events: int  # camera.created ledger events of the camera


async def tally(rig: Pipeline, camera_id: str) -> Tally:
    cam = uuid.UUID(camera_id)
    frames = await rig.query("SELECT id::text, status FROM ingest.frames WHERE camera_id = $1", cam)
    reads = await rig.query("SELECT id::text, frame_id::text FROM ingest.reads WHERE camera_id = $1", cam)
    read_ids = [r["id"] for r in reads]
    detections = await rig.query(
        "SELECT id::text, count(*) AS n FROM search.detections WHERE camera_id = $1 GROUP BY id", cam
    )
    outbox = await rig.query(
        "SELECT coalesce(payload->>'read_id', payload->>'id') AS id, topic, delivered_at IS NOT NULL AS done"
        " FROM ingest.outbox_messages"
        " WHERE topic IN ('search', 'hotlist')"
        " AND coalesce(payload->>'read_id', payload->>'id') = ANY($1::text[])",
        read_ids,
    )
    alerts = await rig.query(
        "SELECT id::text, read_id::text, entry_id::text FROM hotlist.alerts WHERE camera_id = $1", cam
    )
    alert_ids = [a["id"] for a in alerts]
    events = await rig.query(
        "SELECT t, count(*) AS n FROM audit.ledger, jsonb_array_elements_text(event->'targets') AS t"
        " WHERE event->>'action' = 'alert.created' AND t = ANY($1::text[]) GROUP BY t",
        alert_ids,
    )
    camera_events = await rig.query(
        "SELECT count(*) AS n FROM audit.ledger, jsonb_array_elements_text(event->'targets') AS t"
        " WHERE event->>'action' = 'camera.created' AND t = $1",
        camera_id,
    )
    return Tally(
        frames={f["id"]: f["status"] for f in frames},
        reads_per_frame=Counter(r["frame_id"] for r in reads if r["frame_id"]),
        reads=set(read_ids),
        detections=Counter({d["id"]: int(d["n"]) for d in detections}),
        delivered=Counter((o["id"], o["topic"]) for o in outbox if o["done"]),
        pending=sum(1 for o in outbox if not o["done"]),
        alerts=Counter(a["read_id"] for a in alerts),
        alert_entries={
            a["read_id"]: {b["entry_id"] for b in alerts if b["read_id"] == a["read_id"]} for a in alerts
        },
        alert_ids=set(alert_ids),
        alert_events=Counter({e["t"]: int(e["n"]) for e in events}),
        camera_events=int(camera_events[0]["n"]),
    )


def idle(t: Tally, traffic: Traffic) -> bool:
    frames_done = all(
        t.frames.get(i) in {"done", "failed"} for k, i in traffic.acked.items() if k.startswith("frame")
    )
    return (
        frames_done
        and t.pending == 0
        and all(r in t.detections for r in t.reads)
        and all(r in t.alerts for r in traffic.hits)
        and all(a in t.alert_events for a in t.alert_ids)
        and t.camera_events > 0
    )


async def drain(rig: Pipeline, camera_id: str, traffic: Traffic, since: float) -> tuple[Tally, float]:
    """Polls until everything acknowledged has gone through (or the deadline); answers the tally
    and the seconds from ``since`` (the fault) until it was idle."""
    deadline = time.monotonic() + DRAIN_S
    while True:
        t = await tally(rig, camera_id)
        if idle(t, traffic) or time.monotonic() > deadline:
            return t, time.monotonic() - since
        await asyncio.sleep(1)


def check(t: Tally, traffic: Traffic, *, frames_read: bool = True) -> dict[str, int]:
    """Nothing acknowledged lost, nothing duplicated; answers the counts."""
    frames = {i for k, i in traffic.acked.items() if k.startswith("frame")}
    reads = {i for k, i in traffic.acked.items() if k.startswith("read")}
    assert frames <= set(t.frames), f"lost frames: {frames - set(t.frames)}"
    assert set(t.frames) == frames, f"frames nobody acknowledged: {set(t.frames) - frames}"
    if frames_read:
        undone = {i: s for i, s in t.frames.items() if s != "done"}
        assert not undone, f"frames not read: {undone}"
        # The frames show one plate each: one read per frame, never two (a reread after a lease).
        assert all(t.reads_per_frame[f] == 1 for f in frames), {f: t.reads_per_frame[f] for f in frames}
    assert reads <= t.reads, f"lost reads: {reads - t.reads}"
    assert all(t.detections[r] == 1 for r in t.reads), "reads missing from search"
    assert t.pending == 0
    for r in t.reads:
        assert t.delivered[(r, "search")] == 1, r
        assert t.delivered[(r, "hotlist")] == 1, r
    # A read of the listed plate raises one alert per entry it matches (the sample extract lists
    # it more than once): the same entries for every such read, each alert once.
    matched = {frozenset(t.alert_entries.get(r, set())) for r in traffic.hits}
    assert len(matched) <= 1, matched
    per_read = len(next(iter(matched))) if matched else 0
    assert all(t.alerts[r] == per_read > 0 for r in traffic.hits), {r: t.alerts[r] for r in traffic.hits}
    assert set(t.alerts) <= t.reads
    assert all(t.alert_events[a] == 1 for a in t.alert_ids), t.alert_events
    assert t.camera_events == 1
    return {
        "frames": len(frames),
        "frame reads": sum(t.reads_per_frame[f] for f in frames),
        "edge reads": len(reads),
        "in search": len(t.detections),
        "alerts": len(t.alert_ids),
        "alerts per listed read": per_read,
        "alert events": sum(t.alert_events.values()),
    }


async def verify_ledger(rig: Pipeline) -> None:
    auditor = rig.token("fault-auditor", ["auditor"])
    async with httpx.AsyncClient(timeout=120) as http:
        resp = await http.get(f"{rig.url('audit')}/v1/ledger/verify", headers=auditor)
    assert resp.status_code == 200, resp.text
    assert resp.json()["ok"] is True, resp.json()


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64))


# -- the faults ------------------------------------------------------------------------------


async def test_recognition_killed_mid_stream_reads_every_frame_once(rig: Pipeline) -> None:
    """Fault 1: recognition SIGKILLed while 80 frames upload, started again 5 s later: its leases
    run out and every acknowledged frame is read exactly once."""
    camera = rig.camera("fault-recognition")
    traffic = Traffic()
    async with _client() as http:
        uploads = asyncio.create_task(upload_frames(rig, http, camera, 80, 2.0, traffic, "rk"))
        # Mid-stream: once recognition holds leases on some frames.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            leased = await rig.query(
                "SELECT count(*) AS n FROM ingest.frames WHERE camera_id = $1 AND status = 'leased'",
                uuid.UUID(camera[0]),
            )
            if leased[0]["n"] > 0:
                break
            await asyncio.sleep(0.2)
        killed, took = await rig.outage("recognition", seconds=5)
        await uploads
    t, settled = await drain(rig, camera[0], traffic, killed)
    counts = check(t, traffic)
    assert counts["frames"] == 80
    _say(f"recognition killed: {counts}; restarted in {took:.1f} s; settled {settled:.0f} s after the kill; "
         f"answers {dict(traffic.statuses)}")  # fmt: skip


async def test_object_store_frozen_then_killed_loses_nothing(rig: Pipeline) -> None:
    """Fault 2: SeaweedFS SIGSTOPped 30 s, then SIGKILLed for 15 s and started again, while frames
    upload: every acknowledged frame is a row and an object, with no orphan object or row."""
    camera = rig.camera("fault-store")
    traffic = Traffic()
    async with _client() as http:
        uploads = asyncio.create_task(upload_frames(rig, http, camera, 60, 0.75, traffic, "st"))
        await asyncio.sleep(5)
        rig.signal("s3", signal.SIGSTOP)
        try:
            await asyncio.sleep(30)  # the freeze itself
        finally:
            rig.signal("s3", signal.SIGCONT)
        await asyncio.sleep(10)
        killed, took = await rig.outage("s3", seconds=15)
        await uploads
    t, settled = await drain(rig, camera[0], traffic, killed)
    counts = check(t, traffic)
    # Across the whole bucket: every frame and crop object has its row, every row its object.
    frame_keys = {r["object_key"] for r in await rig.query("SELECT object_key FROM ingest.frames")}
    crop_keys = {
        r["crop_key"] for r in await rig.query("SELECT crop_key FROM ingest.reads WHERE crop_key IS NOT NULL")
    }
    objects = await asyncio.to_thread(rig.objects, "frames/")
    crops = await asyncio.to_thread(rig.objects, "crops/")
    assert objects == frame_keys, objects ^ frame_keys
    assert crop_keys <= crops, crop_keys - crops
    assert traffic.errors({503, "ReadTimeout", "ConnectError", "RemoteProtocolError"}) == {}
    assert traffic.statuses["frame 503"] > 0  # the fault was seen: refused while the store was away
    _say(f"object store frozen 30 s, killed 15 s: {counts}; objects {len(objects)} = rows {len(frame_keys)}; "
         f"crops {len(crops)} for {len(crop_keys)} reads; restarted in {took:.1f} s; settled {settled:.0f} s "
         f"after the restart; answers {dict(traffic.statuses)}")  # fmt: skip


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgres_stopped_under_load_keeps_every_acknowledged_frame_and_read(
    rig: Pipeline, mode: str
) -> None:
    """Fault 3: PostgreSQL stopped (`pg_ctl stop -m fast`, or `-m immediate`: a crash) for 10 s
    and started again under frames and edge reads: every acknowledged one present; the services
    answer 503 while it is down, never 500."""
    camera = rig.camera(f"fault-pg-{mode}")
    traffic = Traffic()
    async with _client() as http:
        load = asyncio.gather(
            upload_frames(rig, http, camera, 30, 1.0, traffic, f"pg{mode}"),
            post_reads(rig, http, camera, 150, 5.0, traffic),
        )
        await asyncio.sleep(8)
        pg = rig.postgres
        await asyncio.to_thread(pg.stop, mode)
        stopped = time.monotonic()
        await asyncio.sleep(10)  # the outage itself
        await asyncio.to_thread(pg.start)
        down = time.monotonic() - stopped
        await load
    t, settled = await drain(rig, camera[0], traffic, stopped)
    counts = check(t, traffic)
    # 503 while it is down (the fault was seen), never a 500.
    assert traffic.errors({503, "ReadTimeout", "ConnectError", "RemoteProtocolError"}) == {}
    assert traffic.statuses["read 503"] > 0
    await verify_ledger(rig)
    _say(f"postgres stopped -m {mode} ({down:.0f} s down): {counts}; settled {settled:.0f} s after the stop; "
         f"answers {dict(traffic.statuses)}")  # fmt: skip


async def test_search_and_hotlist_killed_deliver_every_read_and_alert_once(rig: Pipeline) -> None:
    """Fault 4: search and hotlist SIGKILLed for 30 s under edge reads: every read reaches both
    exactly once (one delivered outbox message per consumer, one detection) and every read of a
    listed plate raises exactly one alert, with exactly one ledger event."""
    camera = rig.camera("fault-consumers")
    traffic = Traffic()
    async with _client() as http:
        load = asyncio.create_task(post_reads(rig, http, camera, 300, 6.0, traffic))
        await asyncio.sleep(5)
        killed, took = await rig.outage("search", "hotlist", seconds=30)
        await load
    t, settled = await drain(rig, camera[0], traffic, killed)
    counts = check(t, traffic, frames_read=False)
    assert counts["alerts"] == len(traffic.hits) * counts["alerts per listed read"]
    assert traffic.errors(set()) == {}
    await verify_ledger(rig)
    _say(f"search and hotlist killed 30 s: {counts}; hits {len(traffic.hits)}; restarted in {took:.1f} s; "
         f"settled {settled:.0f} s after the kill; answers {dict(traffic.statuses)}")  # fmt: skip


SOAK_S = float(os.environ.get("ALPR_SOAK_SECONDS", "300"))
# Scaled to a 2-core machine shared with other work: there 1 frame/s + 20 reads/s fell far
# behind (recognition on CPU takes both cores), so 0.5 frames/s + 5 reads/s + 1 search/s; the
# issue's 5 frames/s + 20 reads/s needs ALPR_SOAK_FRAMES_PER_S=5 ALPR_SOAK_READS_PER_S=20 on more.
SOAK_FRAMES = float(os.environ.get("ALPR_SOAK_FRAMES_PER_S", "0.5"))
SOAK_READS = float(os.environ.get("ALPR_SOAK_READS_PER_S", "5"))
SOAK_SEARCHES = float(os.environ.get("ALPR_SOAK_SEARCHES_PER_S", "1"))


def _pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


async def test_soak(rig: Pipeline) -> None:
    """Fault 5: frames, edge reads and searches for ALPR_SOAK_SECONDS (default 5 minutes; rates
    scaled to a 2-core machine, see the README): no error, nothing lost or duplicated; prints
    p50/p99 latency per kind and each process's RSS at start and end."""
    camera = rig.camera("soak")
    traffic = Traffic()
    before = rig.rss_mb()
    started = time.monotonic()
    async with _client() as http:
        await asyncio.gather(
            upload_frames(rig, http, camera, int(SOAK_S * SOAK_FRAMES), SOAK_FRAMES, traffic, "soak"),
            post_reads(rig, http, camera, int(SOAK_S * SOAK_READS), SOAK_READS, traffic),
            run_searches(rig, http, SOAK_S, SOAK_SEARCHES, traffic),
        )
    ran = time.monotonic() - started
    t, settled = await drain(rig, camera[0], traffic, started)
    after = rig.rss_mb()
    counts = check(t, traffic)
    assert traffic.errors(set()) == {}
    await verify_ledger(rig)
    rates = f"{SOAK_FRAMES} frames/s + {SOAK_READS} reads/s + {SOAK_SEARCHES} searches/s"
    lines = [f"soak {ran:.0f} s at {rates}: {counts}; idle {settled - ran:.0f} s after the load; "
             f"answers {dict(traffic.statuses)}"]  # fmt: skip
    for kind, values in sorted(traffic.latencies.items()):
        lines.append(
            f"  {kind}: n={len(values)} p50 {_pct(values, 50):.0f} ms, p99 {_pct(values, 99):.0f} ms"
        )
    for name in before:
        lines.append(f"  RSS {name}: {before[name]:.0f} -> {after[name]:.0f} MB")
    _say("\n".join(lines))
    _say(
        json.dumps({"soak_latency_ms": {k: [_pct(v, 50), _pct(v, 99)] for k, v in traffic.latencies.items()}})
    )
