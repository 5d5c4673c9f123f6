"""End-to-end tests run against the real servers on SQLite and on PostgreSQL."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live(request, live_stacks):
    """The whole product running against one database backend."""
    return live_stacks(request.param)
