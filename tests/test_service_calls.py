"""Service-to-service calls: a typed client gets a service token by the client-credentials
grant, caches it, and carries the request id to the service it calls."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry import trace

from alpr_common import REQUEST_ID_HEADER, ClientCredentials, SearchClient, request_id_var
from alpr_devstack.testing import Infra, create_app


async def test_client_credentials_call_carries_identity_and_request_id(infra: Infra) -> None:
    secret = infra.register_client("svc-sharing-test", roles=["service"])
    seen: list[str | None] = []
    target = create_app("search", infra.settings("search"))

    traces: list[str | None] = []

    async def capture(request: httpx.Request) -> None:
        seen.append(request.headers.get(REQUEST_ID_HEADER))
        traces.append(request.headers.get("traceparent"))

    async with target.router.lifespan_context(target), httpx.AsyncClient() as real_http:
        credentials = ClientCredentials(
            issuer=infra.issuer_url, client_id="svc-sharing-test", client_secret=secret, http=real_http
        )
        asgi = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=target), event_hooks={"request": [capture]}
        )
        async with asgi:
            client = SearchClient("http://search", http=asgi, credentials=credentials)
            token_var = request_id_var.set("req-42")
            try:
                with trace.get_tracer("test").start_as_current_span("caller") as span:
                    me = await client.whoami()
                    again = await client.whoami()
                    trace_id = format(span.get_span_context().trace_id, "032x")
            finally:
                request_id_var.reset(token_var)
        first_token = await credentials.token()
        assert await credentials.token() == first_token  # cached until shortly before expiry
    assert me.sub == "svc-sharing-test"
    assert me.roles == ["service"]
    assert me.client_id == "svc-sharing-test"
    assert again == me
    assert seen == ["req-42", "req-42"]
    # OpenTelemetry carries the trace context to the called service (W3C traceparent).
    assert all(t is not None and t.startswith(f"00-{trace_id}-") for t in traces), traces


async def test_wrong_client_secret_is_unavailable_not_a_crash(infra: Infra) -> None:
    from alpr_common import Unavailable

    infra.register_client("svc-x", roles=["service"])
    async with httpx.AsyncClient() as http:
        credentials = ClientCredentials(
            issuer=infra.issuer_url, client_id="svc-x", client_secret="wrong", http=http
        )
        with pytest.raises(Unavailable) as refused:
            await credentials.token()
    assert refused.value.status == 503
