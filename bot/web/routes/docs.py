"""The OpenAPI docs page (Swagger UI) with every asset served locally.

FastAPI's own ``/docs`` loads Swagger UI from a CDN (blank offline) and
starts it with an inline script, which the Content-Security-Policy forbids;
this page loads the ``swagger-ui-bundle`` package's files from
``/static/swagger`` and starts Swagger UI from ``/static/docs.js``.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from bot.web.templating import templates

router = APIRouter()
SWAGGER_UI_DIR = swagger_ui_path


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request):
    """Swagger UI over ``/openapi.json``."""
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url})
