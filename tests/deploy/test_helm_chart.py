"""The Helm chart: lint --strict, render with the default and a production-like values file,
validate every manifest against the Kubernetes schemas, and hold it to the policies agency IT
expects (non-root, read-only root, no capabilities, probes and resources, default deny)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm"
PRODUCTION = CHART / "ci" / "values-production.yaml"
KUBERNETES_VERSION = "1.31"
SERVICES = ("ingest", "recognition", "hotlist", "search", "audit", "sharing")


@pytest.fixture(scope="module")
def helm() -> str:
    import importlib.util

    spec = importlib.util.spec_from_file_location("fetch_helm", ROOT / "deploy" / "tools" / "fetch_helm.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.fetch())


def _run(helm: str, *args: str) -> str:
    proc = subprocess.run([helm, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


def _template(helm: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``helm template`` with ``extra`` however it ends (the tests of values it refuses)."""
    return subprocess.run(
        [helm, "template", "alpr", str(CHART), *extra], capture_output=True, text=True, timeout=60
    )


def _render(helm: str, *extra: str) -> list[dict[str, Any]]:
    out = _run(helm, "template", "alpr", str(CHART), "--namespace", "alpr", *extra)
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=["default", "production"])
def manifests(request: pytest.FixtureRequest, helm: str) -> list[dict[str, Any]]:
    return _render(helm) if request.param == "default" else _render(helm, "-f", str(PRODUCTION))


def _pod_specs(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in manifests:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "Deployment" or kind == "Job":
            yield f"{kind}/{name}", doc["spec"]["template"]["spec"]
        elif kind == "CronJob":
            yield f"{kind}/{name}", doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("values", [[], ["-f", str(PRODUCTION)]], ids=["default", "production"])
def test_lint_strict(helm: str, values: list[str]) -> None:
    _run(helm, "lint", "--strict", str(CHART), *values)


def test_manifests_are_valid_kubernetes(manifests: list[dict[str, Any]]) -> None:
    for doc in manifests:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD (ServiceMonitor): no schema in the Kubernetes set
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_every_container_is_locked_down(manifests: list[dict[str, Any]]) -> None:
    checked = 0
    for where, pod in _pod_specs(manifests):
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
        assert pod["automountServiceAccountToken"] is False, where
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["runAsNonRoot"] is True, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert container["resources"]["requests"], where
            assert container["resources"]["limits"], where
            checked += 1
    assert checked >= 10


def test_deployments_have_probes_and_the_services_all_run(manifests: list[dict[str, Any]]) -> None:
    deployments = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in manifests
        if d["kind"] == "Deployment"
    }
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert f"alpr_{name}.app:create_app" in container["command"], name
        assert "checksum/config" in deployment["spec"]["template"]["metadata"]["annotations"]


def test_recognition_runs_on_gpu_nodes(manifests: list[dict[str, Any]]) -> None:
    recognition = next(
        d
        for d in manifests
        if d["kind"] == "Deployment"
        and d["metadata"]["labels"]["app.kubernetes.io/component"] == "recognition"
    )
    pod = recognition["spec"]["template"]["spec"]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"


def test_network_policy_default_deny_and_documented_paths(manifests: list[dict[str, Any]]) -> None:
    policies = {p["metadata"]["name"]: p for p in manifests if p["kind"] == "NetworkPolicy"}
    deny = policies["alpr-default-deny"]
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]

    def callers(service: str) -> set[str]:
        rules = policies[f"alpr-{service}"]["spec"]["ingress"]
        return {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
            for rule in rules
            for peer in rule["from"]
            if "podSelector" in peer
        }

    assert callers("audit") == {"ingest", "recognition", "hotlist", "search", "sharing"}
    assert callers("recognition") == set()  # workers pull; nothing calls them
    assert "recognition" in callers("ingest")
    # Each agency's policy (issue 17) is read from sharing by search and audit.
    assert {"search", "audit"} <= callers("sharing")
    # Partner traffic reaches sharing only through the ingress controller's namespace.
    sharing_from = [peer for rule in policies["alpr-sharing"]["spec"]["ingress"] for peer in rule["from"]]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    } in sharing_from


def test_migrations_hook_and_cronjobs(manifests: list[dict[str, Any]]) -> None:
    job = next(d for d in manifests if d["kind"] == "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["alpr", "db", "upgrade"]
    assert "envFrom" not in container  # hooks run before the release's ConfigMap exists
    commands = sorted(
        " ".join(c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"])
        for c in manifests
        if c["kind"] == "CronJob"
    )
    assert commands == [
        "alpr audit checkpoint",
        "alpr audit schedule",  # issue 17: each agency's sample audit at its cadence (R35)
        "alpr hotlist sync",
        "alpr search purge",
    ]


def test_production_values_use_existing_secrets_and_the_ingress(helm: str) -> None:
    docs = _render(helm, "-f", str(PRODUCTION))
    assert not [d for d in docs if d["kind"] == "Secret"]  # all named, none made from values
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    backends = {
        (rule["host"], path["path"]): path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends[("partners.alpr.agency.example", "/v1/requests")] == "alpr-sharing"
    assert backends[("alpr.agency.example", "/public/")] == "alpr-audit"
    assert backends[("alpr.agency.example", "/public/agencies")] == "alpr-sharing"  # issue 17
    hpa = next(
        d
        for d in docs
        if d["kind"] == "HorizontalPodAutoscaler" and d["metadata"]["name"] == "alpr-recognition"
    )
    assert hpa["spec"]["metrics"][0]["external"]["metric"]["name"] == "alpr_ingest_queue_depth"
    purge = next(
        d for d in docs if d["kind"] == "CronJob" and d["metadata"]["name"].endswith("retention-purge")
    )
    purge_env = purge["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {
        "name": "SEARCH_MAX_SEARCH_DAYS",
        "value": "90",
    } in purge_env  # the job runs with search's settings


def test_values_are_schema_checked(helm: str) -> None:
    bad = _template(helm, "--set", "audit.retentionDays=365")
    assert bad.returncode != 0
    assert "retentionDays" in bad.stderr
    typo = _template(helm, "--set", "servcies.ingest.replicas=3")
    assert typo.returncode != 0


def _documented(values: Any, schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, schema node) for every value, down to where the schema stops describing
    members (free-form objects like a securityContext count as one value)."""
    if isinstance(values, dict) and values and "properties" in schema:
        for key, value in values.items():
            assert key in schema["properties"], f"{path}.{key} is not in values.schema.json"
            yield from _documented(value, schema["properties"][key], f"{path}.{key}" if path else key)
    else:
        yield path, schema


def test_every_value_is_in_the_schema_and_the_readme() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    readme = (CHART / "README.md").read_text()
    documented = list(_documented(values, schema))
    assert len(documented) > 100
    for path, node in documented:
        assert node.get("description"), path
        assert f"| `{path}` |" in readme, path


def _containers(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, pod in _pod_specs(manifests):
        for container in pod["containers"]:
            yield where, container


def test_schema_requires_the_signing_key_secret(helm: str) -> None:
    for unset in (["--set", "audit.existingSecret="], ["--set", "audit.existingSecret=null"]):
        bad = _template(helm, *unset)
        assert bad.returncode != 0, unset
        assert "existingSecret" in bad.stderr, bad.stderr


def test_no_signing_key_is_generated(helm: str, manifests: list[dict[str, Any]]) -> None:
    templates = "\n".join(p.read_text() for p in (CHART / "templates").iterdir())
    assert "randBytes" not in templates
    assert "lookup" not in templates
    # The key is not in any rendered Secret; each container that has it reads the named Secret.
    for doc in manifests:
        if doc["kind"] == "Secret":
            assert "signing" not in doc["metadata"]["name"]
            assert not any("signing" in key for key in {**doc.get("stringData", {}), **doc.get("data", {})})
    readers = 0
    for where, container in _containers(manifests):
        for env in container.get("env", []):
            if env["name"] == "AUDIT_SIGNING_KEY":
                assert "value" not in env, where
                assert env["valueFrom"]["secretKeyRef"] == {
                    "name": "alpr-audit-signing",
                    "key": "signing-key",
                }
                readers += 1
    assert readers == 3  # the audit Deployment, the ledger-checkpoint and audit-schedule CronJobs
    # Two renders are the same: nothing is random (what helm template / Argo CD relies on).
    assert _render(helm) == _render(helm)


def test_services_and_jobs_run_in_production_mode(manifests: list[dict[str, Any]]) -> None:
    config = next(d for d in manifests if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "alpr-config")
    assert config["data"]["ALPR_ENV"] == "production"
    assert config["data"]["OIDC_ISSUER"].startswith("https://")
    for where, container in _containers(manifests):
        if where.startswith("Job/"):
            continue  # the migrations hook reads only DATABASE_URL
        refs = [e["configMapRef"]["name"] for e in container.get("envFrom", [])]
        assert "alpr-config" in refs, where
    # Each CronJob has the secrets production mode asks of the service it runs as.
    for doc in manifests:
        if doc["kind"] != "CronJob":
            continue
        container = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        service = container["command"][1]
        names = {e["name"] for e in container["env"]}
        assert f"{service.upper()}_CLIENT_SECRET" in names, doc["metadata"]["name"]
        assert ("AUDIT_SIGNING_KEY" in names) == (service == "audit"), doc["metadata"]["name"]


def test_production_values_name_the_public_agency(helm: str) -> None:
    docs = _render(helm, "-f", str(PRODUCTION))
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "alpr-config")
    assert config["data"]["AUDIT_PUBLIC_AGENCY"] == "CA0010900"
    assert config["data"]["ALPR_ENV"] == "production"


def test_rules_and_dashboards_ship_as_their_files(helm: str) -> None:
    """Issue 20: the PrometheusRule is files/rules/alpr.rules.yaml and each dashboard ConfigMap
    holds its files/dashboards JSON as it is (what tests/deploy/test_monitoring.py checks);
    the ServiceMonitor labels every series with its service, as the rules and dashboards expect."""
    docs = _render(helm, "-f", str(PRODUCTION))
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    assert rule["spec"] == yaml.safe_load((CHART / "files" / "rules" / "alpr.rules.yaml").read_text())
    assert rule["metadata"]["labels"]["release"] == "prometheus"
    boards = {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "ConfigMap" and "-dashboard-" in d["metadata"]["name"]
    }
    assert set(boards) == {"alpr-dashboard-overview", "alpr-dashboard-pipeline", "alpr-dashboard-compliance"}
    for name, config_map in boards.items():
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert config_map["metadata"]["annotations"] == {"grafana_folder": "ALPR"}
        ((key, body),) = config_map["data"].items()
        source = CHART / "files" / "dashboards" / key
        assert key == f"alpr-{name.removeprefix('alpr-dashboard-')}.json"
        assert json.loads(body) == json.loads(source.read_text())
    monitor = next(d for d in docs if d["kind"] == "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["relabelings"] == [
        {
            "sourceLabels": ["__meta_kubernetes_service_label_app_kubernetes_io_component"],
            "targetLabel": "service",
        }
    ]


def test_rules_and_dashboards_are_off_by_default_and_chosen_one_by_one(helm: str) -> None:
    default = _render(helm)
    assert not [d for d in default if d["kind"] in {"PrometheusRule", "ServiceMonitor"}]
    assert not [d for d in default if "-dashboard-" in d["metadata"]["name"]]
    one = _render(
        helm, "--set", "grafanaDashboards.enabled=true", "--set", "grafanaDashboards.include={compliance}"
    )
    assert [d["metadata"]["name"] for d in one if "-dashboard-" in d["metadata"]["name"]] == [
        "alpr-dashboard-compliance"
    ]
    unknown = _template(helm, "--set", "grafanaDashboards.include={billing}")
    assert unknown.returncode != 0
    assert "include" in unknown.stderr


def test_images_can_be_pinned_by_digest(helm: str) -> None:
    """Issue 20: a digest pins every image (repository@sha256:...); a service with its own
    repository takes its own digest; a malformed digest is refused by the schema."""
    chart_digest, gpu_digest = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    rendered = _render(
        helm,
        "--set",
        f"image.digest={chart_digest}",
        "--set",
        f"services.recognition.image.digest={gpu_digest}",
    )
    images = {where: c["image"] for where, c in _containers(rendered)}
    assert images
    for where, image in images.items():
        expected = gpu_digest if "recognition" in where and "gpu" in image else chart_digest
        assert image.endswith(f"@{expected}"), (where, image)
        assert ":" not in image.split("@")[0].rsplit("/", 1)[-1], (where, image)  # no tag beside it
    plain = {c["image"] for _, c in _containers(_render(helm))}
    assert all("@" not in image for image in plain)
    bad = _template(helm, "--set", "image.digest=latest")
    assert bad.returncode != 0
    assert "digest" in bad.stderr


def test_no_access_log_with_query_strings(manifests: list[dict[str, Any]]) -> None:
    """Issue 18: uvicorn's own access log prints query strings (a stream ticket among them);
    the services log each request themselves, path only, so it is off."""
    for doc in manifests:
        if doc["kind"] == "Deployment":
            command = doc["spec"]["template"]["spec"]["containers"][0]["command"]
            assert command[0] == "uvicorn"
            assert "--no-access-log" in command, doc["metadata"]["name"]


@pytest.mark.parametrize("values", [[], ["-f", str(PRODUCTION)]], ids=["default", "production"])
def test_the_ui_host_routes_each_prefix_to_its_service(helm: str, values: list[str]) -> None:
    """Issue 18, one origin: with ingress.ui on, /api/<service>/... on the UI host reaches that
    service with the prefix stripped (ingress-nginx regex path and rewrite-target), unbuffered;
    and the ingress controller may reach every service on its http port, no more."""
    ui = ["--set", "ingress.ui.enabled=true", "--set", "ingress.uiHost=console.agency.example"]
    _run(helm, "lint", "--strict", str(CHART), *values, *ui)
    docs = _render(
        helm,
        *values,
        *ui,
        "--set",
        "ingress.ui.annotations.nginx\\.ingress\\.kubernetes\\.io/use-regex=false",
    )
    routes = {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "Ingress" and d["metadata"]["name"].endswith("-ui")
    }
    assert set(routes) == {f"alpr-{service}-ui" for service in SERVICES}
    for service in SERVICES:
        ingress = routes[f"alpr-{service}-ui"]
        kubernetes_validate.validate(ingress, KUBERNETES_VERSION, strict=True)
        (rule,) = ingress["spec"]["rules"]
        assert rule["host"] == "console.agency.example"
        (path,) = rule["http"]["paths"]
        assert path["path"] == f"/api/{service}(/|$)(.*)"
        assert path["pathType"] == "ImplementationSpecific"
        assert path["backend"]["service"] == {"name": f"alpr-{service}", "port": {"name": "http"}}
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"  # $2: the rest
        assert annotations["nginx.ingress.kubernetes.io/use-regex"] == "true"  # not overridable
        assert annotations["nginx.ingress.kubernetes.io/x-forwarded-prefix"] == f"/api/{service}"
        assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"  # alert stream
        assert ingress["spec"]["ingressClassName"] == "nginx"
    controller = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    policies = {p["metadata"]["name"]: p for p in docs if p["kind"] == "NetworkPolicy"}
    for service in SERVICES:
        rules = [r for r in policies[f"alpr-{service}"]["spec"]["ingress"] if controller in r["from"]]
        assert rules, f"{service} is not reachable from the ingress controller"
        assert all(r["ports"] == [{"protocol": "TCP", "port": 8080}] for r in rules), service


def test_the_ui_route_is_off_by_default(manifests: list[dict[str, Any]]) -> None:
    assert not [d for d in manifests if d["kind"] == "Ingress" and d["metadata"]["name"].endswith("-ui")]
    controller = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    policies = {p["metadata"]["name"]: p for p in manifests if p["kind"] == "NetworkPolicy"}
    recognition = policies["alpr-recognition"]["spec"]["ingress"]
    assert not [r for r in recognition if controller in r["from"]]  # workers face nobody
