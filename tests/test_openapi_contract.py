"""The six services' OpenAPI documents are one contract that generators and validators accept
(issue 18, item 2): each validates as OpenAPI 3.1 (openapi-spec-validator); operation ids are
readable and unique across the platform and tags name the service; problems are declared once,
as ``application/problem+json`` with the ``Problem`` schema; event streams use no 3.2 keyword;
a schema name means one shape in every document; the rules the server enforces statically are
in the schemas. And Swagger UI and ReDoc load only assets the service serves itself (item 7);
the document names the issuer's discovery document and Swagger UI signs in with it (item 4)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

import alpr_common
from alpr_devstack.testing import SERVICE_NAMES, Infra, create_app

PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM = {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}
SSE = "text/event-stream"
# FastAPI's default operation id: the function name, then the path and the method.
FASTAPI_DEFAULT_ID = re.compile(r"_v1_|_(get|post|put|patch|delete)$")
# Answers that are not problems: readiness says which dependency failed, as its own body.
NOT_PROBLEMS = {("/readyz", "get", "503")}


@pytest.fixture(scope="module")
def documents(infra: Infra) -> dict[str, dict[str, Any]]:
    return {name: create_app(name, infra.settings(name)).openapi() for name in SERVICE_NAMES}


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_document_validates_as_openapi_3_1(service: str, documents: dict[str, dict[str, Any]]) -> None:
    doc = documents[service]
    assert doc["openapi"].startswith("3.1."), doc["openapi"]
    validate(doc)  # raises on anything a 3.1 tool would refuse (itemSchema among them)
    assert "itemSchema" not in json.dumps(doc), f"{service}: an OpenAPI 3.2 keyword under 3.1"
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, f"{service}: {ref} does not resolve"


def test_operation_ids_are_readable_and_unique_across_the_platform(
    documents: dict[str, dict[str, Any]],
) -> None:
    seen: dict[str, str] = {}
    for service, doc in documents.items():
        for path, method, op in _operations(doc):
            where = f"{service} {method.upper()} {path}"
            op_id = op.get("operationId", "")
            assert re.fullmatch(rf"{service}-[a-z][a-z0-9_]*", op_id), f"{where}: {op_id!r}"
            assert not FASTAPI_DEFAULT_ID.search(op_id), f"{where}: FastAPI's default id {op_id!r}"
            assert op_id not in seen, f"{where}: {op_id} is also {seen[op_id]}"
            seen[op_id] = where
            assert op.get("tags"), where
            for tag in op["tags"]:
                assert tag == service or tag.startswith(f"{service}-"), f"{where}: tag {tag!r}"
                assert tag in {t["name"] for t in doc["tags"]}, f"{where}: tag {tag!r} not declared"
    assert len(seen) >= 90


def test_problems_are_declared_once_as_problem_json(documents: dict[str, dict[str, Any]]) -> None:
    for service, doc in documents.items():
        for path, method, op in _operations(doc):
            for status, response in op["responses"].items():
                where = f"{service} {method.upper()} {path} {status}"
                content = response.get("content", {})
                for media, body in content.items():
                    if media != "application/problem+json":
                        assert PROBLEM_REF not in set(_refs(body)), f"{where}: a problem under {media}"
                if status.startswith(("4", "5")) and (path, method, status) not in NOT_PROBLEMS:
                    assert content == PROBLEM, where
                if status.startswith("2"):
                    assert "application/problem+json" not in content, where
            where = f"{service} {method.upper()} {path}"
            public = op.get("x-alpr-access") == "public"
            assert (op.get("security") == []) == public, f"{where}: public, or a token named"
            if op.get("x-alpr-access") == "view":  # recorded before it answers: no record, no data
                assert "503" in op["responses"], where
            if op.get("requestBody"):  # the edge guard's limit on bodies
                assert "413" in op["responses"], where


def test_event_streams_are_described_for_openapi_3_1(documents: dict[str, dict[str, Any]]) -> None:
    """OpenAPI 3.1 tools read a ``text/event-stream`` schema as one event's (3.2 has
    ``itemSchema`` for that): the alert stream's events carry an alert as JSON ``data``."""
    streams = {
        (service, path): op["responses"]["200"]["content"][SSE]
        for service, doc in documents.items()
        for path, _, op in _operations(doc)
        if SSE in op["responses"].get("200", {}).get("content", {})
    }
    assert set(streams) == {("hotlist", "/v1/alerts/stream")}
    event = streams[("hotlist", "/v1/alerts/stream")]
    assert set(event) == {"schema"}
    data = event["schema"]["properties"]["data"]
    assert data["type"] == "string"
    assert data["contentMediaType"] == "application/json"
    assert data["contentSchema"] == {"$ref": "#/components/schemas/AlertPublic"}
    assert set(event["schema"]["properties"]["event"]["enum"]) == {"alert.created", "alert.transitioned"}


def test_a_schema_name_means_one_shape_in_every_document(documents: dict[str, dict[str, Any]]) -> None:
    """The same component name in two services' documents is the same schema, so the documents
    can be joined into one and a generated client has one type per name."""
    shapes: dict[str, dict[str, list[str]]] = {}
    for service, doc in documents.items():
        for name, schema in doc["components"]["schemas"].items():
            shapes.setdefault(name, {}).setdefault(json.dumps(schema, sort_keys=True), []).append(service)
    differing = {name: list(by_shape.values()) for name, by_shape in shapes.items() if len(by_shape) > 1}
    assert not differing, f"one name, several shapes: {differing}"


def test_a_schema_in_several_documents_is_defined_once_in_the_shared_library(
    documents: dict[str, dict[str, Any]],
) -> None:
    """A name two services' documents share is a model of ``alpr_common`` (or of the health
    routes every app gets from it), not two copies that happen to agree today."""
    owners: dict[str, set[str]] = {}
    for service, doc in documents.items():
        for name in doc["components"]["schemas"]:
            owners.setdefault(name, set()).add(service)
    shared = {name for name, services in owners.items() if len(services) > 1}
    from_every_app = {"Health", "Readiness"}  # alpr_common._health's answers
    assert shared - from_every_app, "expected shared models (Problem, Purpose, ...)"
    assert all(hasattr(alpr_common, name) for name in shared - from_every_app), sorted(
        name for name in shared - from_every_app if not hasattr(alpr_common, name)
    )


def test_the_rules_the_server_enforces_statically_are_in_the_schemas(
    documents: dict[str, dict[str, Any]],
) -> None:
    """A search (and a hold by search) without a purpose or a time range is refused, always:
    the schema says so (the service still does the refusing, so that it is recorded, R5)."""
    schemas = documents["search"]["components"]["schemas"]
    for name in ("SearchRequest", "HoldSearch"):
        assert {"purpose", "from", "to"} <= set(schemas[name]["required"]), name
        props = schemas[name]["properties"]
        assert props["purpose"]["$ref"] == "#/components/schemas/Purpose", name
        for field in ("purpose", "from", "to"):  # not null, no default
            assert "anyOf" not in props[field], (name, field)
            assert "default" not in props[field], (name, field)


def test_every_document_names_the_issuers_sign_in(documents: dict[str, dict[str, Any]], infra: Infra) -> None:
    """Item 4: an ``openIdConnect`` scheme at the issuer's discovery document, beside the bearer
    scheme; an operation that takes a token takes one from either (the same access token)."""
    for service, doc in documents.items():
        schemes = doc["components"]["securitySchemes"]
        assert schemes["HTTPBearer"]["scheme"] == "bearer", service
        assert schemes["OpenIdConnect"] == {
            "type": "openIdConnect",
            "openIdConnectUrl": f"{infra.issuer_url}/.well-known/openid-configuration",
            "description": schemes["OpenIdConnect"]["description"],
        }, service
        for path, method, op in _operations(doc):
            if op.get("security"):
                assert op["security"] == [{"HTTPBearer": []}, {"OpenIdConnect": []}], (
                    f"{service} {method} {path}"
                )


def test_webhooks_are_described_in_the_webhooks_section(documents: dict[str, dict[str, Any]]) -> None:
    """What the platform POSTs to a subscriber is in OpenAPI 3.1's ``webhooks`` section: a typed
    body, the Standard Webhooks signature headers, a readable operation id, no 422 of ours."""
    hooks = documents["hotlist"]["webhooks"]
    assert set(hooks) == {"alert.created", "alert.transitioned"}
    for name, item in hooks.items():
        op = item["post"]
        assert op["operationId"] == "hotlist-webhook-" + name.replace(".", "-")
        body = op["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/AlertWebhook"}
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert set(op["responses"]) == {"204"}
    schema = documents["hotlist"]["components"]["schemas"]["AlertWebhook"]
    assert schema["properties"]["data"]["$ref"] == "#/components/schemas/AlertPublic"
    [(name, item)] = documents["sharing"]["webhooks"].items()  # a decision told to the partner
    assert name == "sharing.decided"
    assert item["post"]["operationId"] == "sharing-webhook-sharing-decided"
    body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/DecisionWebhook"}
    assert set(item["post"]["responses"]) == {"204"}


# --- Swagger UI and ReDoc without a CDN (item 7) ---------------------------------------------------


class _Assets(HTMLParser):
    """Every URL a page loads: script sources, links, and ReDoc's spec URL."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "spec-url"} and value:
                self.urls.append(value)


def _loaded_urls(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_docs_pages_load_only_assets_the_service_serves(service: str, infra: Infra) -> None:
    app = create_app(service, infra.settings(service))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for page in ("/docs", "/redoc"):
            resp = await client.get(page)  # no token: public, like the document
            assert resp.status_code == 200, page
            assert resp.headers["content-type"].startswith("text/html")
            assert not re.search(r"https?://|//cdn|fonts\.googleapis", resp.text), f"{page}: {resp.text}"
            urls = _loaded_urls(resp.text)
            assert len(urls) >= 2, urls
            for url in urls:
                assert url.startswith("/"), f"{page}: {url}"
                assert not url.startswith("//"), f"{page}: {url}"
                asset = await client.get(url)
                assert asset.status_code == 200, f"{page}: {url}"
        assert (await client.get("/docs/oauth2-redirect")).status_code == 200
        # Item 4: "Authorize" signs in as the public browser client, code with PKCE.
        init = re.search(r"ui\.initOAuth\((\{.*?\})\)", (await client.get("/docs")).text, re.S)
        assert init is not None
        assert json.loads(init.group(1)) == {
            "clientId": "alpr-ui",
            "usePkceWithAuthorizationCodeGrant": True,
            "scopes": "openid",
        }
        js = await client.get("/docs/swagger-ui-bundle.js")
        assert "javascript" in js.headers["content-type"]
        assert "SwaggerUIBundle" in js.text


async def test_docs_assets_follow_the_gateway_prefix(infra: Infra) -> None:
    """Behind a gateway that names its prefix as the ASGI root path, the pages load their assets
    and the document under that prefix."""
    app = create_app("search", infra.settings("search"))
    transport = httpx.ASGITransport(app=app, root_path="/api/search")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for page in ("/api/search/docs", "/api/search/redoc"):
            resp = await client.get(page)
            assert resp.status_code == 200, page
            urls = [*_loaded_urls(resp.text), *re.findall(r"url: '([^']+)'", resp.text)]
            assert urls
            assert all(url.startswith("/api/search/") for url in urls), urls
