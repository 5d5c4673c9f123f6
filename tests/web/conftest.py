"""A real web server over the staff centre, one per test module and backend; its staff state reset per test."""
from __future__ import annotations

import pytest

from tests.webserver import WebServer, reset_staff_state, serve_centre


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def centre_server(request, tmp_path_factory):
    """The centre of ``tests/staff_data.py`` on a fresh database, served by uvicorn (the product's command line)."""
    with serve_centre(request, request.param, tmp_path_factory.mktemp(f"centre-{request.param}")) as web:
        yield web


@pytest.fixture()
def server(centre_server) -> WebServer:
    """:func:`centre_server` with no login attempts, sessions or appeals, and every account as seeded."""
    reset_staff_state(centre_server.stack.database_url)
    return centre_server
