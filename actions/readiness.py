"""``GET /ready`` on the action server: the database and the classifier, checked for real.

rasa-sdk's own ``/health`` only says the process is up. This module adds a
route to rasa-sdk's Sanic app through its plugin hook; it registers itself
when imported, which ``actions.server`` does at module level so every Sanic
worker process (which re-imports the server module) gets the route too.
"""
from __future__ import annotations

import asyncio
import sys

import pluggy
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response

from actions import context
from bot.ops import health

hookimpl = pluggy.HookimplMarker("rasa_sdk")


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """Add ``/ready`` to the action server."""

    @app.get("/ready")
    async def ready(_request):
        checks = await asyncio.gather(asyncio.to_thread(health.database, context.settings().database_url),
                                      asyncio.to_thread(health.classifier))
        status, body = health.report(list(checks))
        return response.json(body, status=status)


def register() -> None:
    """Register this module's hook with rasa-sdk's plugin manager (once)."""
    manager = plugin_manager()
    module = sys.modules[__name__]
    if not manager.is_registered(module):
        manager.register(module)


register()
