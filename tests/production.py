"""The production profile's services for tests: a fresh tracker database and event queue, and the environment."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import PG_ADMIN_URL, port_open, unavailable


def require_services(haproxy: bool = True) -> None:
    """Skip (fail in CI) unless Rasa, Redis, RabbitMQ (and HAProxy) are here (PostgreSQL is checked by ``pg_url``)."""
    from bot.ops.production import haproxy_bin
    from bot.ops.stack import have_rasa

    why = have_rasa()
    if why:
        unavailable(why)
    for name, port in (("Redis", 6379), ("RabbitMQ", 5672)):
        if not port_open("127.0.0.1", port):
            unavailable(f"{name} not reachable on 127.0.0.1:{port}")
    if haproxy and haproxy_bin() is None:
        unavailable("haproxy not installed (make prod-deps)")


@contextmanager
def production_services() -> Iterator[dict[str, str]]:
    """A fresh Rasa tracker database and RabbitMQ queue; yields the environment of endpoints.production.yml."""
    import pika
    import psycopg

    tracker_db = f"rasa_tracker_{uuid.uuid4().hex[:8]}"
    queue = f"feedbackbot_events_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{tracker_db}" TEMPLATE template0')
    try:
        yield {
            "RASA_TRACKER_DB_HOST": "127.0.0.1", "RASA_TRACKER_DB_PORT": "5432", "RASA_TRACKER_DB_NAME": tracker_db,
            "RASA_TRACKER_DB_USER": "postgres", "RASA_TRACKER_DB_PASSWORD": "",
            "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "0",
            "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
            "RABBITMQ_QUEUE": queue,
        }
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{tracker_db}" WITH (FORCE)')
        conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
        conn.channel().queue_delete(queue)
        conn.close()
