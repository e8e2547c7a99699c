"""The whole platform on one machine: PostgreSQL, the S3 store, the development issuer,
migrations, the six services, and the demo seed. Everything it starts is recorded by pid
in ``<data dir>/run/stack.json`` so that ``alpr dev down`` stops exactly that."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from alpr_common import MACHINE_ROLES, Role
from alpr_common.migrations import service_packages, upgrade

from .components import (
    EmbeddedPostgres,
    SeaweedStore,
    StackError,
    generate_secret,
    pid_running,
    port_free,
    reserve_ports,
    spawn,
    stop_pids,
    wait_http_ok,
)
from .gateway import CONSOLE_DIR_ENV
from .gateway import UPSTREAMS_ENV as GATEWAY_UPSTREAMS_ENV
from .issuer import (
    UI_REDIRECT_URIS_ENV,
    ClientRecord,
    IssuerState,
    UserRecord,
    serve_command,
    ui_redirect_uris,
)

SERVICES: dict[str, int] = {
    "ingest": 8001,
    "recognition": 8002,
    "hotlist": 8003,
    "search": 8004,
    "audit": 8005,
    "sharing": 8006,
}
ISSUER_PORT = 8000
GATEWAY_PORT = 8080  # the one origin (issue 18): /api/<service>/... and /api/openapi.json
POSTGRES_PORT = 5433
S3_PORT = 8333
SEAWEED_BASE_PORT = 9333
# The reference console as `make console` builds it (a checkout's, not an installed package's).
BUILT_CONSOLE = Path(__file__).resolve().parents[4] / "apps" / "console" / "dist"


# Offsets keep every port of a second stack below the kernel's ephemeral range (32768 and up on
# Linux), where any outgoing connection or port-0 listener could take one between the check
# below and the stack's own bind: the highest port is the S3 store's volume gRPC twin.
_HIGHEST_PORT = SEAWEED_BASE_PORT + 5 + 10000
_OFFSETS = range(1000, 32768 - _HIGHEST_PORT, 100)


def free_port_offset() -> int:
    """An ``ALPR_DEV_PORT_OFFSET`` whose every port is free and reserved for this process
    (``reserve_ports``): a second stack beside yours (tests)."""
    ports = [ISSUER_PORT, GATEWAY_PORT, POSTGRES_PORT, S3_PORT, S3_PORT + 10000, *SERVICES.values()]
    ports += [p for b in range(SEAWEED_BASE_PORT, SEAWEED_BASE_PORT + 6) for p in (b, b + 10000)]
    offsets = random.sample(_OFFSETS, len(_OFFSETS))
    chosen = reserve_ports([p + offset for p in ports] for offset in offsets)
    return chosen[0] - ports[0]


DEMO_AGENCY = "CA0019400"
DEMO_PARTNER_AGENCY = "CA0010900"
DEMO_PASSWORD = "demo"
# Machine clients seeded for the demo agency: client id -> (agency, role).
DEMO_CLIENTS = {"cam-demo-1": (DEMO_AGENCY, "camera"), "partner-demo": (DEMO_PARTNER_AGENCY, "partner")}

Say = Callable[[str], None]


@dataclass
class StackConfig:
    data_dir: Path
    port_offset: int = 0
    database_url: str | None = None
    s3_endpoint: str | None = None
    oidc_issuer: str | None = None
    audience: str = "alpr"
    services: dict[str, int] = field(default_factory=lambda: dict(SERVICES))

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> StackConfig:
        env = os.environ
        return cls(
            data_dir=(data_dir or Path(env.get("ALPR_DEV_DIR", ".alpr"))).resolve(),
            port_offset=int(env.get("ALPR_DEV_PORT_OFFSET", "0")),
            database_url=env.get("DATABASE_URL") or None,
            s3_endpoint=env.get("S3_ENDPOINT") or None,
            oidc_issuer=env.get("OIDC_ISSUER") or None,
            audience=env.get("OIDC_AUDIENCE", "alpr"),
        )

    def port(self, base: int) -> int:
        return base + self.port_offset

    @property
    def state_path(self) -> Path:
        return self.data_dir / "run" / "stack.json"

    @property
    def secrets_path(self) -> Path:
        return self.data_dir / "secrets.json"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(self.services[name])}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.port(GATEWAY_PORT)}"

    @property
    def console_redirect_uris(self) -> list[str]:
        """Where the console served by the gateway receives its sign-in code: its root, also as
        ``localhost`` (another origin to a browser)."""
        root = f"{self.gateway_url}/"
        return [root, root.replace("//127.0.0.1:", "//localhost:")]


def console_dir() -> Path | None:
    """The console the gateway serves: ``ALPR_GATEWAY_CONSOLE_DIR`` (empty: none), else the
    checkout's ``apps/console/dist`` once built."""
    configured = os.environ.get(CONSOLE_DIR_ENV)
    if configured is not None:
        if configured and not Path(configured).is_dir():
            raise StackError(f"{CONSOLE_DIR_ENV}={configured} is not a directory (`make console` builds one)")
        return Path(configured).resolve() if configured else None
    return BUILT_CONSOLE if (BUILT_CONSOLE / "index.html").is_file() else None


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.chmod(0o600)
    tmp.replace(path)


class Stack:
    def __init__(self, config: StackConfig, say: Say = print) -> None:
        self.config = config
        self.say = say
        # The processes this object started. They are stopped by pid (``down`` may run in another
        # process, as `alpr dev down` does); kept here so that this one's ``down`` can collect
        # their exit, and no Popen is dropped while its process runs (a ResourceWarning).
        self._children: list[subprocess.Popen[bytes]] = []

    # -- state -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return _load_json(self.config.state_path)

    def _save_state(self, state: dict[str, Any]) -> None:
        _write_private(self.config.state_path, state)

    def secrets(self) -> dict[str, Any]:
        """Generated once per data directory: S3 keys and the services' client secrets."""
        data = _load_json(self.config.secrets_path)
        changed = False
        for key in ("s3_access_key", "s3_secret_key"):
            if key not in data:
                data[key] = ("alpr" + generate_secret()[:16]) if key == "s3_access_key" else generate_secret()
                changed = True
        clients = data.setdefault("clients", {})
        for name in self.config.services:
            if name not in clients:
                clients[name] = generate_secret()
                changed = True
        if "audit_signing_key" not in data:  # Ed25519 seed that signs the ledger's checkpoints
            data["audit_signing_key"] = base64.b64encode(os.urandom(32)).decode()
            changed = True
        demo = data.setdefault("demo_clients", {})
        for client_id in DEMO_CLIENTS:
            if client_id not in demo:
                demo[client_id] = generate_secret()
                changed = True
        if changed:
            _write_private(self.config.secrets_path, data)
        return data

    # -- up ----------------------------------------------------------------------------
    def up(self, timeout_s: float = 120.0) -> dict[str, Any]:
        cfg = self.config
        existing = self.state()
        if any(pid_running(c.get("pid")) for c in existing.get("components", {}).values()):
            raise StackError(f"a stack from {cfg.data_dir} is already running; `alpr dev down` first")
        started = time.monotonic()
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        secrets = self.secrets()
        state: dict[str, Any] = {"data_dir": str(cfg.data_dir), "components": {}, "started_at": time.time()}
        components: dict[str, Any] = state["components"]
        try:
            database_url = self._start_postgres(components)
            self._save_state(state)
            s3_endpoint, s3_access, s3_secret = self._start_store(components, secrets)
            self._save_state(state)
            issuer = self._start_issuer(components, secrets)
            self._save_state(state)
            self._migrate(database_url)
            env = {
                "DATABASE_URL": database_url,
                "S3_ENDPOINT": s3_endpoint,
                "S3_ACCESS_KEY": s3_access,
                "S3_SECRET_KEY": s3_secret,
                "S3_BUCKET": os.environ.get("S3_BUCKET", "alpr"),
                "OIDC_ISSUER": issuer,
                "OIDC_AUDIENCE": cfg.audience,
                **{f"{n.upper()}_URL": cfg.service_url(n) for n in cfg.services},
                # Issue 19's outbound-URL policy: on this machine, feeds and webhook receivers
                # may listen on loopback over plain http (a deployment allows only what it names).
                "OUTBOUND_ALLOW_HTTP": os.environ.get("OUTBOUND_ALLOW_HTTP", "true"),
                "OUTBOUND_ALLOW_NETWORKS": os.environ.get("OUTBOUND_ALLOW_NETWORKS", "127.0.0.0/8,::1"),
            }
            state["env"] = {k: v for k, v in env.items() if k != "S3_SECRET_KEY"}
            for name in cfg.services:
                self._start_service(name, env, secrets, components)
                self._save_state(state)
            remaining = max(10.0, timeout_s - (time.monotonic() - started))
            deadline = time.monotonic() + remaining
            for name in cfg.services:
                proc_pid = components[name]["pid"]
                try:
                    wait_http_ok(f"{cfg.service_url(name)}/healthz", max(1.0, deadline - time.monotonic()))
                except StackError as exc:
                    log = Path(components[name]["log"])
                    tail = log.read_text()[-2000:] if log.exists() else ""
                    alive = "running" if pid_running(proc_pid) else "exited"
                    raise StackError(
                        f"service {name} ({alive}) did not become healthy: {exc}\n{tail}"
                    ) from exc
            self._start_gateway(components)
            self._save_state(state)
        except BaseException:
            self._save_state(state)
            self.down(quiet=True)
            raise
        state["ready_in_s"] = round(time.monotonic() - started, 1)
        self._save_state(state)
        if not cfg.oidc_issuer:
            self.seed_demo(state)
        return state

    def feed_dir(self) -> Path:
        """Where `file://` hotlist sources may point (the sample NCIC extract is copied there)."""
        path = self.config.data_dir / "feeds"
        path.mkdir(parents=True, exist_ok=True)
        spec = importlib.util.find_spec("alpr_hotlist")
        if spec is not None and spec.origin is not None:
            sample = Path(spec.origin).parent / "sources" / "sample_ncic.csv"
            if sample.exists():
                shutil.copyfile(sample, path / "sample_ncic.csv")
        return path

    def seed_demo(self, state: dict[str, Any]) -> None:
        """The demo agency's camera, registered through ingest's own API (so it is audited like
        any registration), and a hotlist fed from the sample NCIC extract; a second `up` finds
        them already there."""
        issuer = state["components"]["issuer"]["url"]
        admin = IssuerState(self.config.data_dir / "issuer").admin_secret
        minted = httpx.post(
            f"{issuer}/dev/tokens",
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
            json={
                "sub": "demo-seeder",
                "name": "Demo seeder",
                "agency": DEMO_AGENCY,
                "roles": ["alpr_admin"],
                "training_expires": (datetime.now(UTC).date() + timedelta(days=1)).isoformat(),
                "ttl": 300,
            },
        )
        token = minted.json()["access_token"]
        resp = self._seed_call(
            token,
            "ingest",
            "/v1/cameras",
            {
                "name": "Demo fixed camera, 1st St & Santa Clara",
                "kind": "fixed",
                "client_id": "cam-demo-1",
                "latitude": 37.3361,
                "longitude": -121.8905,
                "status": "active",
            },
        )
        if resp.status_code not in (201, 409):
            self._not_seeded("the demo camera was not registered", resp)
        else:
            self.say("seed: demo camera cam-demo-1 registered for CA0019400")
        self._seed_hotlist(token)
        self._seed_partner(token)

    def _seed_call(
        self, token: str, service: str, path: str, body: dict[str, Any] | None = None, timeout: float = 15
    ) -> httpx.Response:
        """``POST`` to a service of the stack as the demo seeder."""
        return httpx.post(
            f"{self.config.service_url(service)}{path}",
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
            json=body,
        )

    def _not_seeded(self, what: str, resp: httpx.Response) -> None:
        self.say(f"seed: {what} ({resp.status_code}: {resp.text[:200]})")

    def _seed_new(
        self, token: str, service: str, path: str, body: dict[str, Any], failed: str
    ) -> httpx.Response | None:
        """``POST`` a demo resource: the answer when it was made; None when it was there already (409) or
        could not be made (then ``failed`` is said)."""
        resp = self._seed_call(token, service, path, body)
        if resp.status_code == 201:
            return resp
        if resp.status_code != 409:
            self._not_seeded(failed, resp)
        return None

    def _seed_partner(self, token: str) -> None:
        """The demo partner agency (its machine client `partner-demo`) and an MOU in force."""
        partner = self._seed_new(
            token,
            "sharing",
            "/v1/agencies",
            {
                "ori": DEMO_PARTNER_AGENCY,
                "name": "Demo partner police department",
                "state": "CA",
                "kind": "law_enforcement",
                "client_ids": ["partner-demo"],
            },
            "the demo partner was not registered",
        )
        if partner is None:
            return
        start = datetime.now(UTC) - timedelta(days=1)
        mou = self._seed_call(
            token,
            "sharing",
            "/v1/mous",
            {
                "agency_ori": DEMO_PARTNER_AGENCY,
                "effective_from": start.isoformat(),
                "expires_at": (start + timedelta(days=366)).isoformat(),
                "purposes": ["stolen_vehicle", "criminal_investigation", "missing_person"],
                "share_hotlists": True,
                "max_results": 500,
                "terms": "Demo MOU: authorized users only; 24-hour hotlist refresh; internal audits.",
            },
        )
        if mou.status_code == 201:
            self._seed_call(token, "sharing", f"/v1/mous/{mou.json()['id']}:activate", {})
            self.say(f"seed: demo partner {DEMO_PARTNER_AGENCY} (client partner-demo) with an MOU in force")

    def _seed_hotlist(self, token: str) -> None:
        hotlist = self._seed_new(
            token,
            "hotlist",
            "/v1/hotlists",
            {"name": "NCIC stolen vehicles (sample extract)", "kind": "ncic_stolen_vehicle", "priority": 1},
            "the demo hotlist was not made",
        )
        if hotlist is None:
            return
        feed = (self.feed_dir() / "sample_ncic.csv").as_uri()
        source = self._seed_call(
            token,
            "hotlist",
            "/v1/sources",
            {"hotlist_id": hotlist.json()["id"], "url": feed, "format": "csv"},
        )
        if source.status_code != 201:
            self._not_seeded("the demo hotlist source was not made", source)
            return
        synced = self._seed_call(token, "hotlist", f"/v1/sources/{source.json()['id']}:sync", timeout=60)
        loaded = synced.json().get("loaded") if synced.status_code == 200 else synced.status_code
        self.say(f"seed: demo hotlist fed from {feed} ({loaded} entries)")

    def _start_postgres(self, components: dict[str, Any]) -> str:
        if self.config.database_url:
            self.say(f"database: using DATABASE_URL ({_redact(self.config.database_url)})")
            return self.config.database_url
        pg = EmbeddedPostgres(self.config.data_dir / "postgres", self.config.port(POSTGRES_PORT))
        self.say(f"database: embedded PostgreSQL on 127.0.0.1:{pg.port} ...")
        pg.start()
        components["postgres"] = {
            "pid": pg.pid(),
            "port": pg.port,
            "kind": "postgres",
            "data": str(pg.data_dir),
        }
        return pg.url

    def _start_store(self, components: dict[str, Any], secrets: dict[str, Any]) -> tuple[str, str, str]:
        if self.config.s3_endpoint:
            self.say(f"object store: using S3_ENDPOINT ({self.config.s3_endpoint})")
            return (
                self.config.s3_endpoint,
                os.environ.get("S3_ACCESS_KEY", ""),
                os.environ.get("S3_SECRET_KEY", ""),
            )
        store = SeaweedStore(
            self.config.data_dir / "s3",
            s3_port=self.config.port(S3_PORT),
            base_port=self.config.port(SEAWEED_BASE_PORT),
            access_key=secrets["s3_access_key"],
            secret_key=secrets["s3_secret_key"],
            bucket=os.environ.get("S3_BUCKET", "alpr"),
        )
        self.say(f"object store: SeaweedFS S3 on {store.endpoint} ...")
        proc = store.start()
        self._children.append(proc)
        components["s3"] = {
            "pid": proc.pid,
            "port": store.s3_port,
            "kind": "process",
            "log": str(store.data_dir / "weed.log"),
        }
        return store.endpoint, store.access_key, store.secret_key

    def _start_issuer(self, components: dict[str, Any], secrets: dict[str, Any]) -> str:
        if self.config.oidc_issuer:
            self.say(f"identity: using OIDC_ISSUER ({self.config.oidc_issuer})")
            return self.config.oidc_issuer
        port = self.config.port(ISSUER_PORT)
        url = f"http://127.0.0.1:{port}"
        issuer_dir = self.config.data_dir / "issuer"
        seed_identities(IssuerState(issuer_dir), secrets)
        if not port_free(port):
            raise StackError(f"port {port} for the development issuer is taken")
        log = self.config.data_dir / "logs" / "issuer.log"
        proc = spawn(
            serve_command(port),
            log,
            {
                "ALPR_ISSUER_DIR": str(issuer_dir),
                "ALPR_ISSUER_URL": url,
                "OIDC_AUDIENCE": self.config.audience,
                # Browser sign-in (issue 18): the console's and each service's Swagger UI callback.
                UI_REDIRECT_URIS_ENV: os.environ.get(UI_REDIRECT_URIS_ENV)
                or ",".join(
                    [
                        *ui_redirect_uris(
                            [
                                *(self.config.service_url(n) for n in self.config.services),
                                *(f"{self.config.gateway_url}/api/{n}" for n in self.config.services),
                            ]
                        ),
                        *self.config.console_redirect_uris,
                    ]
                ),
            },
        )
        self._children.append(proc)
        components["issuer"] = {"pid": proc.pid, "port": port, "kind": "process", "log": str(log), "url": url}
        self.say(f"identity: development issuer on {url} ...")
        wait_http_ok(f"{url}/.well-known/openid-configuration", 30, proc)
        return url

    def _migrate(self, database_url: str) -> None:
        for package in service_packages():
            upgrade(package, database_url)
        self.say("migrations: applied")

    def _start_service(
        self, name: str, env: dict[str, str], secrets: dict[str, Any], components: dict[str, Any]
    ) -> None:
        port = self.config.port(self.config.services[name])
        if not port_free(port):
            raise StackError(f"port {port} for the {name} service is taken")
        log = self.config.data_dir / "logs" / f"{name}.log"
        prefix = name.upper()
        proc = spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"alpr_{name}.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                # Open alert streams do not hold a stop for long (clients resume by Last-Event-ID).
                "--timeout-graceful-shutdown",
                "5",
            ],
            log,
            {
                **env,
                f"{prefix}_CLIENT_ID": f"svc-{name}",
                f"{prefix}_CLIENT_SECRET": secrets["clients"][name],
                **({"AUDIT_SIGNING_KEY": secrets["audit_signing_key"]} if name == "audit" else {}),
                **({"HOTLIST_FEED_DIR": str(self.feed_dir())} if name == "hotlist" else {}),
            },
        )
        self._children.append(proc)
        components[name] = {
            "pid": proc.pid,
            "port": port,
            "kind": "process",
            "log": str(log),
            "url": self.config.service_url(name),
        }

    def _start_gateway(self, components: dict[str, Any]) -> None:
        """The one origin in front of the services (``alpr_devstack.gateway``)."""
        port = self.config.port(GATEWAY_PORT)
        if not port_free(port):
            raise StackError(f"port {port} for the gateway is taken (ALPR_DEV_PORT_OFFSET moves every port)")
        log = self.config.data_dir / "logs" / "gateway.log"
        upstreams = ",".join(f"{n}={self.config.service_url(n)}" for n in self.config.services)
        console = console_dir()
        proc = spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "alpr_devstack.gateway:app_from_env",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                # The services' answers carry their own.
                "--no-server-header",
                "--no-date-header",
                # The edge: the client's address is the peer's, never an X-Forwarded-For it sent.
                "--no-proxy-headers",
                "--timeout-graceful-shutdown",
                "5",
            ],
            log,
            {GATEWAY_UPSTREAMS_ENV: upstreams, CONSOLE_DIR_ENV: str(console) if console else ""},
        )
        self._children.append(proc)
        url = self.config.gateway_url
        components["gateway"] = {
            "pid": proc.pid,
            "port": port,
            "kind": "process",
            "log": str(log),
            "url": url,
        }
        wait_http_ok(f"{url}/healthz", 30, proc)
        self.say(f"gateway: one origin on {url} (/api/<service>/..., /api/openapi.json)")
        if console:
            self.say(f"console: {url}/ (served from {console})")
        else:
            self.say("console: not built (`make console` builds apps/console, then `alpr dev up` serves it)")
        components["gateway"]["console"] = str(console) if console else None

    def restart(self, name: str, timeout_s: float = 90.0) -> int:
        """Starts one stopped component of the running stack again (a service, or the S3 store
        ``s3``) as `up` started it, once healthy; answers its pid (the fault suite's restarts)."""
        state = self.state()
        components: dict[str, Any] = state["components"]
        if pid_running(components.get(name, {}).get("pid")):
            raise StackError(f"{name} is still running")
        secrets = self.secrets()
        if name == "s3":
            self._start_store(components, secrets)
        else:
            own_store = "s3" in components
            s3_secret = secrets["s3_secret_key"] if own_store else os.environ.get("S3_SECRET_KEY", "")
            env = {**state["env"], "S3_SECRET_KEY": s3_secret}
            self._start_service(name, env, secrets, components)
            wait_http_ok(f"{self.config.service_url(name)}/healthz", timeout_s)
        self._save_state(state)
        return int(components[name]["pid"])

    # -- down / status -----------------------------------------------------------------
    def down(self, quiet: bool = False) -> list[str]:
        """Stops the processes together (services, issuer, store), then PostgreSQL."""
        state = self.state()
        components = state.get("components", {})
        by_pid = {
            int(c["pid"]): n for n, c in components.items() if c.get("kind") != "postgres" and c.get("pid")
        }
        stopped = [by_pid[pid] for pid in stop_pids(list(by_pid))]
        # What this object started and the state no longer names (a restarted service's first
        # process) is stopped too; then each child's exit is collected.
        stop_pids([proc.pid for proc in self._children if proc.poll() is None])
        for proc in self._children:
            proc.wait(timeout=10)
        self._children.clear()
        for name, comp in components.items():
            if comp.get("kind") == "postgres":
                pg = EmbeddedPostgres(Path(comp["data"]), comp["port"])
                if pg.pid() is not None:
                    pg.stop()
                    stopped.append(name)
        if state:
            self.config.state_path.unlink(missing_ok=True)
        if not quiet:
            self.say(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
        return stopped

    def status(self) -> list[dict[str, Any]]:
        rows = []
        for name, comp in self.state().get("components", {}).items():
            if comp.get("kind") == "postgres":
                running = EmbeddedPostgres(Path(comp["data"]), comp["port"]).pid() is not None
            else:
                running = pid_running(comp.get("pid"))
            health = None
            if running and comp.get("url"):
                try:
                    path = "/healthz" if name != "issuer" else "/.well-known/openid-configuration"
                    health = httpx.get(f"{comp['url']}{path}", timeout=2).status_code
                except httpx.HTTPError:
                    health = None
            rows.append(
                {
                    "name": name,
                    "pid": comp.get("pid"),
                    "port": comp.get("port"),
                    "running": running,
                    "health": health,
                }
            )
        return rows

    def mint_token(self, claims: dict[str, Any]) -> str:
        comp = self.state().get("components", {}).get("issuer")
        if not comp:
            raise StackError(
                "no development issuer is running from this data directory (`alpr dev up` first)"
            )
        admin = IssuerState(self.config.data_dir / "issuer").admin_secret
        try:
            resp = httpx.post(
                f"{comp['url']}/dev/tokens",
                json=claims,
                headers={"Authorization": f"Bearer {admin}"},
                timeout=10,
            )
        except httpx.HTTPError as exc:  # a stack that stopped without `alpr dev down` (a reboot)
            raise StackError(
                f"the development issuer at {comp['url']} does not answer ({type(exc).__name__}); "
                "`alpr dev status` shows what runs"
            ) from None
        if resp.status_code != 200:
            raise StackError(f"the issuer refused: {resp.status_code} {resp.text}")
        return str(resp.json()["access_token"])


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def seed_identities(state: IssuerState, secrets: dict[str, Any]) -> None:
    """Service clients, a demo camera and partner client, and one demo user per role
    (password ``demo``, training current for a year) of the demo agency. The browser client
    ``alpr-ui`` is the issuer's own, registered when it starts (``ALPR_UI_REDIRECT_URIS``)."""
    # (client id, secret, name, agency, role) of each machine client.
    clients = [
        (f"svc-{name}", secret, f"{name} service", DEMO_AGENCY, "service")
        for name, secret in secrets["clients"].items()
    ] + [
        (client_id, secrets["demo_clients"][client_id], client_id, agency, role)
        for client_id, (agency, role) in DEMO_CLIENTS.items()
    ]
    for client_id, secret, name, agency, role in clients:
        state.put_client(
            ClientRecord(client_id=client_id, client_secret=secret, name=name, agency=agency, roles=[role])
        )
    expires = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
    for role in (r.value for r in Role if r not in MACHINE_ROLES):  # a demo user for each human role
        state.put_user(
            UserRecord(
                username=f"demo-{role.replace('_', '-')}",
                password=DEMO_PASSWORD,
                name=f"Demo {role.replace('_', ' ').title()}",
                agency=DEMO_AGENCY,
                roles=[role],
                training_expires=expires,
            )
        )
