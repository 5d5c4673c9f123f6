"""Liveness of the web app."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict:
    """The process answers."""
    return {"ok": True}
