"""Every service's OpenAPI document declares its error answers as they are sent: problem
documents under application/problem+json, the standard ones (401, 403, 422) on every route
they can come from, and no trace of FastAPI's default validation error body."""

from __future__ import annotations

import pytest

from alpr_devstack.testing import SERVICE_NAMES, Infra, create_app

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_error_answers_are_documented_as_problems(service: str, infra: Infra) -> None:
    spec = create_app(service, infra.settings(service)).openapi()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail"}
    assert schemas["Problem"]["properties"]["errors"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/ProblemFieldError"
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{service} {method.upper()} {path}"
            responses = operation["responses"]
            for status, response in responses.items():
                if status.startswith(("4", "5")) and path != "/readyz":  # /readyz: a Readiness body
                    assert response["content"] == PROBLEM, f"{where} {status}"
            if operation.get("security"):
                assert {"401", "403"} <= responses.keys(), where
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in responses, where
