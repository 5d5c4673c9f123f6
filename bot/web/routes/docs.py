"""The OpenAPI docs page (Swagger UI) with every asset served locally.

FastAPI's own ``/docs`` loads Swagger UI from a CDN (blank offline) and
starts it with an inline script, which the Content-Security-Policy forbids;
this page loads the Swagger UI 5 files shipped in the ``swagger-ui-py``
package from ``/static/swagger`` and starts Swagger UI from
``/static/docs.js``. (Swagger UI 4 cannot read FastAPI's OpenAPI 3.1.)
"""
from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.web.templating import templates

router = APIRouter()
# Located without importing the package (its import pulls in framework adapters we do not use).
_SPEC = find_spec("swagger_ui")
assert _SPEC is not None and _SPEC.submodule_search_locations, "swagger-ui-py is not installed"
SWAGGER_UI_DIR = Path(next(iter(_SPEC.submodule_search_locations))) / "static"


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request):
    """Swagger UI over ``/openapi.json``."""
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url})
