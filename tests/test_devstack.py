"""`alpr dev up --detach` on an empty data directory brings the six services up (each
/healthz 200, /openapi.json served, /v1/whoami answering by the rules), `alpr dev token`
mints tokens for it, and `alpr dev down` leaves no process behind."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from PIL import Image

from alpr_devstack.alpr_command import run_alpr
from alpr_devstack.components import USERS_LOCK, free_port, port_free, reserve_ports
from alpr_devstack.issuer import MintRequest
from alpr_devstack.locks import file_lock
from alpr_devstack.stack import GATEWAY_PORT, ISSUER_PORT, SERVICES, Stack, StackConfig, free_port_offset
from alpr_recognition.synth.degrade import paste_warped
from alpr_recognition.synth.plates import render_text

ALPR = str(Path(sys.executable).parent / "alpr")


REPO = Path(__file__).resolve().parents[1]


def _alpr(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The installed executable: ``up`` and ``down`` as a person runs them."""
    return subprocess.run([ALPR, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _dev_env(data_dir: Path) -> tuple[dict[str, str], int]:
    """The environment of an `alpr dev` stack of its own in ``data_dir`` on free ports (their
    offset with it), with none of the test stack's endpoints to fall back on."""
    offset = free_port_offset()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "S3_ENDPOINT", "OIDC_ISSUER", "TEST_DATABASE_URL"}
    }
    env.update({"ALPR_DEV_DIR": str(data_dir), "ALPR_DEV_PORT_OFFSET": str(offset)})
    return env, offset


def _processes_using(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            environ = proc.info["environ"] or {}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if str(data_dir) in cmd or any(str(data_dir) in v for v in environ.values()):
            found.append(proc)
    return found


def test_two_choosers_never_reserve_the_same_port() -> None:
    """A second stack's offset (``free_port_offset``) and a test worker's S3 store are chosen
    under one lock and kept while their process runs: another process choosing among the same
    ports skips those chosen but not bound yet."""
    candidates = [[p, p + 1] for p in range(24001, 24600, 10) if port_free(p) and port_free(p + 1)][:6]
    mine = reserve_ports(candidates)
    code = f"from alpr_devstack.components import reserve_ports; print(list(reserve_ports({candidates!r})))"
    theirs = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
    assert theirs in candidates
    assert set(theirs).isdisjoint(mine)


def test_dev_token_from_a_stack_that_stopped_without_down_says_so(tmp_path: Path) -> None:
    """The data directory still names an issuer (the machine rebooted, nothing answers there):
    one line naming it, exit 1, not a traceback."""
    (tmp_path / "run").mkdir()
    dead = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "run" / "stack.json").write_text(json.dumps({"components": {"issuer": {"url": dead}}}))
    args = ("--sub", "u1", "--name", "U One", "--agency", "CA0019400", "--data-dir", str(tmp_path))
    done = run_alpr("dev", "token", *args)
    assert done.returncode == 1
    assert done.stderr == (
        f"the development issuer at {dead} does not answer (ConnectError); "
        "`alpr dev status` shows what runs\n"
    )
    assert done.stdout == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="creates a system user: as root only (CI runs as root)")
def test_workers_starting_at_once_create_the_postgres_user_once() -> None:
    """As root, PostgreSQL runs as a system user that the first stack creates. Four processes
    ask for a missing user at the same instant (as test workers starting their stacks do): all
    get the same uid, and ``/etc/passwd`` holds it once under that uid."""
    name = f"alpr-race-{os.getpid()}"
    start = time.time() + 2.0
    code = (
        "import json, time; from alpr_devstack.components import system_user_ids\n"
        f"time.sleep(max(0.0, {start!r} - time.time())); print(json.dumps(system_user_ids({name!r})))"
    )
    command = [sys.executable, "-c", code]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    try:
        answers = [proc.communicate(timeout=60) for proc in procs]
        assert [proc.returncode for proc in procs] == [0] * 4, [err.decode() for _, err in answers]
        ids = {tuple(json.loads(out)) for out, _ in answers}
        assert len(ids) == 1, ids
        lines = Path("/etc/passwd").read_text().splitlines()
        entries = [line.split(":") for line in lines if line.startswith(f"{name}:")]
        assert [(int(e[2]), int(e[3])) for e in entries] == list(ids)
    finally:
        with file_lock(USERS_LOCK):  # not while another worker's stack adds its user
            subprocess.run(["userdel", name], capture_output=True)


@pytest.mark.stack
def test_dev_up_serves_six_services_and_down_leaves_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "alpr-data"
    env, offset = _dev_env(data_dir)
    up = _alpr(env, "dev", "up", "--detach")
    try:
        assert up.returncode == 0, up.stderr + up.stdout
        state = json.loads((data_dir / "run" / "stack.json").read_text())
        assert set(state["components"]) == {"postgres", "s3", "issuer", "gateway", *SERVICES}

        status = run_alpr("dev", "status", env=env)
        assert status.returncode == 0, status.stdout

        minted = run_alpr(
            "dev",
            "token",
            "--sub",
            "u1",
            "--name",
            "User One",
            "--agency",
            "CA0019400",
            "--roles",
            "investigator",
            "--training-expires",
            "2099-01-01",
            env=env,
        )
        assert minted.returncode == 0, minted.stderr
        token = minted.stdout.strip().splitlines()[-1]
        untrained = (
            run_alpr(
                "dev",
                "token",
                "--sub",
                "u2",
                "--name",
                "User Two",
                "--agency",
                "CA0019400",
                "--roles",
                "investigator",
                env=env,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        for name, port in SERVICES.items():
            base = f"http://127.0.0.1:{port + offset}"
            assert httpx.get(f"{base}/healthz").json() == {"status": "ok", "service": name}
            assert "/v1/whoami" in httpx.get(f"{base}/openapi.json").json()["paths"]
            assert httpx.get(f"{base}/v1/whoami").status_code == 401
            me = httpx.get(f"{base}/v1/whoami", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text
            assert me.json()["sub"] == "u1"
            lapsed = httpx.get(f"{base}/v1/whoami", headers={"Authorization": f"Bearer {untrained}"})
            assert lapsed.json()["type"] == "urn:alpr:problem:training-required"
            assert httpx.get(f"{base}/readyz").status_code == 200
        gateway = f"http://127.0.0.1:{GATEWAY_PORT + offset}"  # the one origin (issue 18)
        assert f"One origin: {gateway}" in up.stdout
        for name in SERVICES:
            me = httpx.get(f"{gateway}/api/{name}/v1/whoami", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text
        merged = httpx.get(f"{gateway}/api/openapi.json", timeout=30).json()
        assert "/api/search/v1/whoami" in merged["paths"]

        # The seeded hotlist (the sample NCIC extract) alerts on an edge read of the demo camera:
        # camera -> ingest -> outbox -> hotlist -> alert, over the running stack.
        _edge_read_raises_an_alert(env, offset)

        # A camera's frame is read by the recognition worker and the read can be searched:
        # camera -> ingest -> recognition -> ingest -> outbox -> search.
        _uploaded_frame_is_read_and_searchable(env, offset)

        # The README's partner example, as written: token, request, approval, fetch (the edge
        # read above is the one detection of its plate).
        example = subprocess.run(
            ["bash", str(REPO / "examples" / "partner_request.sh")],
            env={
                **env,
                "ISSUER_URL": f"http://127.0.0.1:{ISSUER_PORT + offset}",
                "SHARING_URL": f"http://127.0.0.1:{SERVICES['sharing'] + offset}",
                "ALPR": str(Path(sys.executable).parent / "alpr"),
            },
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
        assert example.returncode == 0, example.stderr + example.stdout
        assert "released 1 detection(s):" in example.stdout

        # The audit service signs checkpoints with the stack's persistent key, not a random one.
        assert "ephemeral_signing_key" not in (data_dir / "logs" / "audit.log").read_text()

        # A second `up` from the same data directory is refused, not doubled.
        again = _alpr(env, "dev", "up", "--detach")
        assert again.returncode != 0
        assert "already running" in again.stderr
    finally:
        down = _alpr(env, "dev", "down")
    assert down.returncode == 0, down.stderr
    leftovers = _processes_using(data_dir)
    assert leftovers == [], [p.info["cmdline"] for p in leftovers]
    for port in SERVICES.values():
        assert port_free(port + offset)
    assert run_alpr("dev", "status", env=env).returncode == 1


def _token(
    env: dict[str, str],
    sub: str,
    role: str,
    training_expires: str | None = None,
    client_id: str | None = None,
) -> dict[str, str]:
    """A token from the stack's issuer, minted as `alpr dev token` mints it (the command itself is
    run above; a process for each token the flows need cost 1.3 s of this test's time each)."""
    claims = MintRequest(
        sub=sub,
        name=sub,
        agency="CA0019400",
        roles=[role],
        training_expires=date.fromisoformat(training_expires) if training_expires else None,
        client_id=client_id,
    )
    stack = Stack(StackConfig.from_env(Path(env["ALPR_DEV_DIR"])))
    return {"Authorization": f"Bearer {stack.mint_token(claims.model_dump(mode='json'))}"}


def _from_the_demo_camera(
    env: dict[str, str], ingest: str, path: str, fields: dict[str, str], files: dict[str, Any]
) -> tuple[str, str]:
    """Posts to ingest as the seeded demo camera, from its place, now: (its id, the id accepted)."""
    admin = _token(env, "adm", "alpr_admin", training_expires="2099-01-01")
    camera = _token(env, "cam-demo-1", "camera", client_id="cam-demo-1")
    [cam] = httpx.get(f"{ingest}/v1/cameras", headers=admin).json()["items"]
    form = {
        "camera_id": cam["id"],
        "captured_at": datetime.now(UTC).isoformat(),
        "latitude": "37.3361",
        "longitude": "-121.8905",
        **fields,
    }
    posted = httpx.post(f"{ingest}{path}", data=form, files=files, headers=camera)
    assert posted.status_code == 202, posted.text
    return cam["id"], posted.json()["id"]


def _edge_read_raises_an_alert(env: dict[str, str], offset: int) -> None:
    operator = _token(env, "op", "operator", training_expires="2099-01-01")
    ingest, hotlist = (f"http://127.0.0.1:{SERVICES[n] + offset}" for n in ("ingest", "hotlist"))
    [seeded] = httpx.get(f"{hotlist}/v1/hotlists", headers=operator).json()["items"]
    assert seeded["kind"] == "ncic_stolen_vehicle"
    assert seeded["active_entries"] > 0
    crop = io.BytesIO()
    Image.new("RGB", (120, 40), (230, 230, 230)).save(crop, format="JPEG")
    _, read_id = _from_the_demo_camera(
        env,
        ingest,
        "/v1/reads",
        {"plate": "7ABC123", "region": "CA", "confidence": "0.91"},
        {"crop": ("c.jpg", crop.getvalue(), "image/jpeg")},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alerts = httpx.get(f"{hotlist}/v1/alerts", headers=operator).json()["items"]
        if any(a["read_id"] == read_id for a in alerts):
            return
        time.sleep(0.2)
    raise AssertionError("the edge read raised no alert within 20 s")


def _uploaded_frame_is_read_and_searchable(env: dict[str, str], offset: int) -> None:
    investigator = _token(env, "inv", "investigator", training_expires="2099-01-01")
    ingest, search = (f"http://127.0.0.1:{SERVICES[n] + offset}" for n in ("ingest", "search"))
    rng = random.Random(11)
    frame = Image.new("RGB", (960, 720), (120, 120, 125))
    plate = render_text(rng, "4TRK512", "us").image
    paste_warped(frame, plate, [(380, 470), (580, 470), (580, 570), (380, 570)])
    data = io.BytesIO()
    frame.save(data, format="JPEG", quality=90)
    camera_id, _ = _from_the_demo_camera(
        env, ingest, "/v1/frames", {}, {"image": ("f.jpg", data.getvalue(), "image/jpeg")}
    )
    query = {
        "purpose": "stolen_vehicle",
        "case_number": "2026-000512",
        "plate": "4TRK512",
        "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = httpx.post(f"{search}/v1/searches", json=query, headers=investigator)
        assert found.status_code == 200, found.text
        if found.json()["items"]:
            [detection] = found.json()["items"]
            assert detection["plate"] == "4TRK512"
            assert detection["camera_id"] == camera_id
            return
        time.sleep(0.5)
    raise AssertionError("the uploaded frame's plate was not searchable within 60 s")


@pytest.mark.stack
def test_ctrl_c_on_foreground_up_stops_everything(tmp_path: Path) -> None:
    """`make run` runs `alpr dev up` in the foreground: Ctrl-C (SIGINT) stops it all cleanly."""
    data_dir = tmp_path / "alpr-fg"
    env, offset = _dev_env(data_dir)
    proc = subprocess.Popen([ALPR, "dev", "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert proc.stdout is not None
        lines = []
        for raw in proc.stdout:
            line = raw.decode()
            lines.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        else:
            pytest.fail("".join(lines))
        port = SERVICES["audit"] + offset
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=90) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            _alpr(env, "dev", "down")
        if proc.stdout is not None:
            proc.stdout.close()
    assert _processes_using(data_dir) == []
    assert all(port_free(p + offset) for p in SERVICES.values())
