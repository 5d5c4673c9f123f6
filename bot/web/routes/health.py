"""Health of the web app: 200 only when the database and Rasa answer and a job worker beat lately (``bot.ops.health``)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bot.ops import health

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    """Each dependency checked for real; 503 with the failing check named when one is down."""
    settings = request.app.state.settings
    checks = [await run_in_threadpool(health.database, settings.database_url),
              await health.rasa(request.app.state.gateway.rasa),
              await run_in_threadpool(health.worker, settings.database_url, settings.worker_heartbeat_max_age)]
    status, body = health.report(checks)
    return JSONResponse(body, status_code=status)


@router.get("/livez", include_in_schema=False)
def livez() -> dict:
    """The process answers (for a supervisor that restarts hung processes, not for routing)."""
    return {"ok": True}
