"""``POST /v1/matches`` (role ``service``: ingest's outbox)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from alpr_common import Accepted, Action, DbSession, MatchBatch, ServicePrincipal, machine

from ..context import Ctx
from . import service

router = APIRouter(tags=["matching"])
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MatchBatch"}}},
    }
}


def parse_batch(raw: bytes) -> MatchBatch:
    """The body parsed and validated in one pass by pydantic's JSON parser (the hot path reads
    tens of thousands of reads a second; FastAPI's default decodes to Python objects first)."""
    try:
        return MatchBatch.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


@router.post("/v1/matches", **machine(Action.ALERT_CREATED, openapi_extra=_BODY))
async def post_matches(
    ctx: Ctx, session: DbSession, principal: ServicePrincipal, request: Request
) -> Accepted:
    """Matches reads against the hotlists and raises alerts (internal; idempotent on read id).
    Body: `MatchBatch`. Acknowledged once every new alert is stored with its ledger event
    (shipped by the outbox)."""
    return await service.match_batch(ctx, session, principal, parse_batch(await request.body()))


def document_body(app: FastAPI) -> None:
    """Adds `MatchBatch` (read by hand above) to the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        definition = MatchBatch.model_json_schema(ref_template="#/components/schemas/{model}")
        nested = definition.pop("$defs", {})
        schema.setdefault("components", {}).setdefault("schemas", {}).update(
            {"MatchBatch": definition, **nested}
        )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
