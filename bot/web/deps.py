"""Shared request dependencies: settings, database session, integration-token auth.

Routers declare what they need with the ``Annotated`` aliases below, so a
dashboard or admin router imports the same session and auth as the API.
"""
from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from bot.db.session import open_session
from bot.settings import Settings


def get_settings(request: Request) -> Settings:
    """The settings the application was built with."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """One database session per request; the route opens the transaction."""
    with open_session(settings.database_url) as s:
        yield s


SessionDep = Annotated[Session, Depends(get_session)]


_bearer = HTTPBearer(auto_error=False, description="The telephony integration's token")


def require_integration_token(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> None:
    """Refuse a request without the telephony integration's Bearer token (401)."""
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), settings.integration_token.encode()):
        raise HTTPException(status_code=401, detail="invalid or missing integration token",
                            headers={"WWW-Authenticate": "Bearer"})


IntegrationAuth = Depends(require_integration_token)
