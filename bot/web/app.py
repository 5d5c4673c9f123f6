"""FastAPI application: assembles settings, the Rasa client, static files and the routers."""
from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.conversation.gateway import Gateway
from bot.db.session import open_session
from bot.jobs.runner import build_runner
from bot.ledger import fact_table
from bot.model_store import configure_classifier
from bot.settings import Settings
from bot.web import access, proxies, security
from bot.web import auth as staff_auth
from bot.web.routes import (
    account_pages,
    admin_pages,
    agent_pages,
    appeal_pages,
    auth,
    callbacks,
    case_pages,
    chat,
    docs,
    exports,
    health,
    inbox_pages,
    integration,
    model_pages,
    owner_pages,
    privacy_pages,
    review_pages,
    survey_pages,
    team_pages,
)
from bot.web.templating import HERE


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web application.

    Args:
        settings: Configuration; read from the environment when omitted.
    """
    settings = settings or Settings.from_env()
    fact_table.install()
    configure_classifier(settings, actor="web")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        rasa = httpx.AsyncClient(base_url=settings.rasa_url, timeout=30.0)
        app.state.gateway = Gateway(rasa, lambda: open_session(settings.database_url), settings.session_secret,
                                    per_survey=settings.chat_rate_per_survey,
                                    per_address=settings.chat_rate_per_address)
        yield
        await rasa.aclose()

    app = FastAPI(
        title="Post-call feedback bot",
        version="0.1.0",
        description="Opens a Chinese post-call survey for each ended call and serves its chat.",
        lifespan=lifespan,
        docs_url=None,  # served by routes.docs with local assets
        redoc_url=None,  # ReDoc only exists as a CDN script
    )
    app.state.settings = settings
    security.install(app)
    proxies.install(app, settings)
    app.mount("/static/swagger", StaticFiles(directory=docs.SWAGGER_UI_DIR), name="swagger")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    staff_auth.install(app)
    access.install(app)
    app.state.jobs = build_runner(settings)  # producer side of the job runner: the web app only enqueues
    for module in (health, docs, integration, chat, callbacks, auth, agent_pages, team_pages, admin_pages, appeal_pages,
                   case_pages, model_pages, privacy_pages, review_pages, account_pages, survey_pages, exports,
                   inbox_pages, owner_pages):
        app.include_router(module.router)
    return app
