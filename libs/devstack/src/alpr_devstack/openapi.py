"""The platform's one OpenAPI document (issue 18, items 1-2): the six services' documents with
each path under its gateway prefix (``/api/search/v1/searches``), their components, tags and
security schemes merged, as the gateway serves it at ``/api/openapi.json`` and ``make openapi``
writes it. A name two documents define differently is an error, never a silent pick.

Services are loaded by module name (``alpr_<service>.app``): this library is below them."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

SERVICE_NAMES = ("ingest", "recognition", "hotlist", "search", "audit", "sharing")
GATEWAY_PREFIX = "/api"
MERGED_PATH = f"{GATEWAY_PREFIX}/openapi.json"
TITLE = "ALPR platform"


class MergeError(ValueError):
    """Two documents disagree: one name with two shapes, or one path or operation id twice."""


def prefix_of(service: str) -> str:
    """Where ``service`` is on the gateway: ``/api/search``."""
    return f"{GATEWAY_PREFIX}/{service}"


def service_documents(services: Iterable[str] = SERVICE_NAMES) -> dict[str, dict[str, Any]]:
    """Each service's document, from its app made with default settings (nothing connects:
    apps open their engines and clients in their lifespan, which does not run here)."""
    documents: dict[str, dict[str, Any]] = {}
    for name in services:
        settings = import_module(f"alpr_{name}.settings").Settings()
        app = import_module(f"alpr_{name}.app").create_app(settings)
        documents[name] = app.openapi()
    return documents


def merge_documents(documents: Mapping[str, Mapping[str, Any]], version: str = "0.1.0") -> dict[str, Any]:
    """One OpenAPI 3.1 document from ``documents`` (service name -> its document): paths under
    each service's prefix, components merged by name (the same name must be the same shape,
    else ``MergeError``), tags and root security kept in service order; ``servers`` is the
    gateway's root, relative to where the document is served."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": version,
            "description": "The six services of the platform on one origin: each under "
            + ", ".join(f"`{prefix_of(name)}`" for name in documents)
            + ". Built from the services' own documents.",
        },
        "servers": [{"url": "/", "description": "The platform's gateway."}],
        "paths": {},
        "components": {},
        "tags": [],
    }
    owners: dict[tuple[str, str], str] = {}  # (component section, name) -> first service
    operation_ids: dict[str, str] = {}
    tags: dict[str, dict[str, Any]] = {}
    security: list[Any] = []
    webhooks: dict[str, Any] = {}
    for service, document in documents.items():
        document = copy.deepcopy(dict(document))
        if not str(document.get("openapi", "")).startswith("3.1."):
            raise MergeError(f"{service}: OpenAPI {document.get('openapi')!r}, not 3.1")
        for path, item in document.get("paths", {}).items():
            full = prefix_of(service) + ("" if path == "/" else path)
            if full in merged["paths"]:
                raise MergeError(f"{service}: path {full} twice")
            for operation in item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    op_id = operation["operationId"]
                    if op_id in operation_ids:
                        raise MergeError(f"{service}: operationId {op_id} is also {operation_ids[op_id]}'s")
                    operation_ids[op_id] = service
            merged["paths"][full] = item
        for section, entries in document.get("components", {}).items():
            target = merged["components"].setdefault(section, {})
            for name, shape in entries.items():
                if name in target and target[name] != shape:
                    first = owners[(section, name)]
                    raise MergeError(
                        f"components/{section}/{name}: {service}'s differs from {first}'s "
                        f"({_difference(target[name], shape)})"
                    )
                owners.setdefault((section, name), service)
                target[name] = shape
        for tag in document.get("tags", []):
            if tag["name"] in tags and tags[tag["name"]] != tag:
                raise MergeError(f"{service}: tag {tag['name']} differs from another service's")
            tags[tag["name"]] = tag
        for requirement in document.get("security", []):
            if requirement not in security:
                security.append(requirement)
        for name, hook in document.get("webhooks", {}).items():
            if name in webhooks and webhooks[name] != hook:
                raise MergeError(f"{service}: webhook {name} differs from another service's")
            webhooks[name] = hook
    merged["tags"] = list(tags.values())
    if security:
        merged["security"] = security
    if webhooks:
        merged["webhooks"] = webhooks
    merged["components"] = {k: dict(sorted(v.items())) for k, v in merged["components"].items() if v}
    return merged


def _difference(a: Any, b: Any) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        return "differs in " + ", ".join(keys)
    return "different values"


def build(out: Path | None = None, services: Iterable[str] = SERVICE_NAMES) -> dict[str, Any]:
    """The merged document from the services' apps; written to ``out`` (JSON) when given."""
    merged = merge_documents(service_documents(services))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(merged, indent=2, sort_keys=False) + "\n")
    return merged
