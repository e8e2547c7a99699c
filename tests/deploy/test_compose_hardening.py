"""docker-compose.yml keeps to itself by default (issue 20, item 5): published ports listen on
127.0.0.1 unless ``ALPR_BIND_ADDRESS`` says otherwise, and the infrastructure containers get
the same hardening as the services (no capabilities they do not need, no privilege gain)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# What each image needs back, and why (the rest of ALL stays dropped).
CAPABILITIES_ADDED = {"postgres": {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"}}
# Images that write outside their volumes at run time (MinIO its config under $HOME, Keycloak
# its build under /opt/keycloak, mc its aliases): the rest run with a read-only root.
WRITABLE_ROOT = {"minio", "minio-init", "keycloak"}


def _services() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services: dict[str, Any] = data["services"]
    return services


def test_published_ports_listen_on_loopback_by_default() -> None:
    published = 0
    for name, svc in _services().items():
        for port in svc.get("ports", []):
            published += 1
            assert isinstance(port, str), name
            assert port.startswith("${ALPR_BIND_ADDRESS:-127.0.0.1}:"), (name, port)
    assert published >= 7  # the six services and the issuer


def test_every_container_is_hardened() -> None:
    for name, svc in _services().items():
        assert svc.get("security_opt") == ["no-new-privileges:true"], name
        assert svc.get("cap_drop") == ["ALL"], name
        assert set(svc.get("cap_add", [])) == CAPABILITIES_ADDED.get(name, set()), name
        if name not in WRITABLE_ROOT:
            assert svc.get("read_only") is True, name
