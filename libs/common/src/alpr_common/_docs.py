"""Swagger UI (``/docs``) and ReDoc (``/redoc``) with their scripts, styles and icon served by
the service itself from an installed package (fastapi-offline ships them), never from a CDN, so
the pages render on a network with no way out (issue 18, item 7). Public, like the document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ._openapi import gateway_prefix

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
# The package and folder holding swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js and
# favicon.png; served under DOCS_URL beside the page.
ASSETS_PACKAGE = ("fastapi_offline", "static")
# Swagger UI's default validator badge calls validator.swagger.io: off.
_SWAGGER_UI_PARAMETERS: dict[str, Any] = {"validatorUrl": None}
# "Authorize" signs in through the document's ``openIdConnect`` scheme as the public browser
# client, authorization code with PKCE (issue 18, item 4); the code comes back to
# ``{DOCS_URL}/oauth2-redirect``, one of alpr-ui's registered redirect URIs.
UI_CLIENT_ID = "alpr-ui"
_SWAGGER_UI_INIT_OAUTH: dict[str, Any] = {
    "clientId": UI_CLIENT_ID,
    "usePkceWithAuthorizationCodeGrant": True,
    "scopes": "openid",
}


def install_docs(app: FastAPI) -> None:
    """Serves the documentation pages of ``app`` (made with ``docs_url=None`` and
    ``redoc_url=None``) and their assets, relative to the request's ``root_path`` (behind a
    gateway's prefix), and records their URLs on ``app`` as FastAPI's own pages would."""
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url or f"{DOCS_URL}/oauth2-redirect"
    if app.swagger_ui_init_oauth is None:
        app.swagger_ui_init_oauth = dict(_SWAGGER_UI_INIT_OAUTH)

    def _root(request: Request) -> str:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        if root:
            return root
        # Behind the platform's gateway (issue 18): its X-Forwarded-Prefix, honoured only when it
        # is exactly this service's own prefix (nothing a client writes reaches the page).
        forwarded = request.headers.get("x-forwarded-prefix", "").rstrip("/")
        service = getattr(request.app.state, "service_name", None)
        return forwarded if service and forwarded == gateway_prefix(str(service)) else ""

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{DOCS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_URL}/favicon.png",
            oauth2_redirect_url=root + oauth2_redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters={**_SWAGGER_UI_PARAMETERS, **(app.swagger_ui_parameters or {})},
        )

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
    # After the pages, so /docs/oauth2-redirect is the page and not a file.
    app.mount(DOCS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")
    app.docs_url = DOCS_URL
    app.redoc_url = REDOC_URL
    app.swagger_ui_oauth2_redirect_url = oauth2_redirect_url
