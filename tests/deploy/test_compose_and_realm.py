"""docker-compose.yml and the Keycloak realm: the parts the platform needs exist, every
secret is required from the environment, and start-up order is by health."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from alpr_common import Role

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "recognition", "hotlist", "search", "audit", "sharing")
# The realm has exactly the platform's roles (R3).
ROLES = {role.value for role in Role}


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _realm() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "deploy" / "keycloak" / "realm.json").read_text())
    return data


def test_compose_has_the_suite_with_health_ordered_start() -> None:
    services = _compose()["services"]
    assert {"postgres", "minio", "minio-init", "keycloak", "migrate", "otel-collector", *SERVICES} <= set(
        services
    )
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["otel-collector"]["profiles"] == ["observability"]
    for name in SERVICES:
        svc = services[name]
        assert svc["healthcheck"]["test"], name
        deps = svc["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["keycloak"]["condition"] == "service_healthy", name
        assert f"alpr_{name}.app:create_app" in svc["command"], name
        assert svc["read_only"] is True, name
        assert svc["cap_drop"] == ["ALL"], name
        env = svc["environment"]
        assert env["OIDC_ROLES_CLAIM"] == "realm_access.roles"
        assert env[f"{name.upper()}_CLIENT_ID"] == f"svc-{name}"
    assert services["migrate"]["command"] == ["alpr", "db", "upgrade"]
    assert services["sharing"]["depends_on"]["search"]["condition"] == "service_healthy"


def test_compose_requires_every_secret() -> None:
    lines = (ROOT / "docker-compose.yml").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    for name in (
        "POSTGRES_PASSWORD",
        "S3_SECRET_KEY",
        "KEYCLOAK_ADMIN_PASSWORD",
        "AUDIT_SIGNING_KEY",
        "SVC_AUDIT_SECRET",
        "PARTNER_DEMO_SECRET",
    ):
        assert f"${{{name}:?" in text, name
        assert re.search(rf"\${{{name}:-", text) is None, name  # no default for a secret
    example = (ROOT / "deploy" / "compose.env.example").read_text()
    for name in set(re.findall(r"\$\{([A-Z0-9_]+):\?", text)):
        assert f"{name}=" in example, name


def test_realm_roles_clients_and_mappers() -> None:
    realm = _realm()
    assert {r["name"] for r in realm["roles"]["realm"]} == ROLES
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert {f"svc-{s}" for s in SERVICES} | {"cam-demo-1", "partner-demo", "alpr-ui"} <= set(clients)
    for client_id, client in clients.items():
        mappers = {m["protocolMapper"]: m for m in client["protocolMappers"]}
        audience = mappers["oidc-audience-mapper"]["config"]
        assert audience["included.custom.audience"] == "alpr", client_id
        assert audience["access.token.claim"] == "true", client_id
        if client_id != "alpr-ui":
            assert client["serviceAccountsEnabled"] is True, client_id
            assert client["publicClient"] is False, client_id
            assert client["secret"].startswith("${"), client_id  # from the environment, not the file
    ui_claims = {
        m["config"]["claim.name"]
        for m in clients["alpr-ui"]["protocolMappers"]
        if m["protocolMapper"] == "oidc-usermodel-attribute-mapper"
    }
    assert ui_claims == {"agency", "alpr_training_expires", "badge"}  # badge: issue 16, R4 "name and badge"
    accounts = {
        u["serviceAccountClientId"]: u["realmRoles"] for u in realm["users"] if "serviceAccountClientId" in u
    }
    assert accounts["cam-demo-1"] == ["camera"]
    assert accounts["partner-demo"] == ["partner"]
    assert all(accounts[f"svc-{s}"] == ["service"] for s in SERVICES)
    people = [u for u in realm["users"] if "serviceAccountClientId" not in u]
    assert people
    for user in people:
        assert user["attributes"]["agency"] == ["CA0019400"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", user["attributes"]["alpr_training_expires"][0])
        assert user["credentials"][0]["value"] == "${DEMO_PASSWORD}"


def test_dockerfile_is_multistage_and_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") >= 3
    assert "AS build" in text
    assert "AS runtime" in text
    assert "AS recognition-gpu" in text
    runtime = text.split("AS runtime", 1)[1].split("FROM ", 1)[0]
    assert "USER 10001" in runtime
    assert "pip install" not in runtime
    assert "gcc" not in runtime


def test_the_gpu_image_s_pytorch_base_carries_the_pinned_torch() -> None:
    """Issue 21: the recognition-gpu stage starts from the PyTorch image of the release that
    constraints.txt pins, so its install does not swap the base's CUDA build for another."""
    base = re.search(r"^ARG TORCH_IMAGE=pytorch/pytorch:(\S+)$", (ROOT / "Dockerfile").read_text(), re.M)
    pinned = re.search(r"^torch==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M)
    assert base is not None
    assert pinned is not None
    version, cuda, cudnn, flavour = base.group(1).split("-")
    assert version == pinned.group(1)
    assert re.fullmatch(r"cuda\d+\.\d+", cuda)
    assert re.fullmatch(r"cudnn\d+", cudnn)
    assert flavour == "runtime"
