"""The Jinja2 environment of every HTML page, with its filters and globals registered here, where it is made."""
from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from bot.web import display, formatting

HERE = Path(__file__).resolve().parent
PERIOD_KINDS = {"recent": "近30天", "month": "按月", "week": "按周", "day": "按日", "range": "自定义日期"}

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(pct=formatting.pct, signed_pct=formatting.signed_pct, cause_name=display.cause_name,
                            channel_name=display.channel_name)
templates.env.globals.update(labels=display, highlight=formatting.highlight, period_kinds=PERIOD_KINDS)
