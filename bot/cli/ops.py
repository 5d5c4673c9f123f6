"""Operational sub-commands: database migrations, demo surveys and running the whole product."""
from __future__ import annotations

import argparse
import signal
import sys
import time
import uuid
from datetime import UTC, datetime


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``db-upgrade``, ``demo-survey`` and ``run`` to the CLI."""
    p = sub.add_parser("db-upgrade", help="apply database migrations (DATABASE_URL or the SQLite default)")
    p.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("demo-survey", help="register a demo call and print its chat link")
    p.add_argument("--agent", default="demo-agent-001")
    p.set_defaults(func=cmd_demo_survey)

    p = sub.add_parser("run", help="start Rasa, the action server, the web app and the job worker; print the URLs")
    p.add_argument("--web-port", type=int, default=8000)
    p.add_argument("--no-demo", action="store_true", help="do not load the demo centre (make run DEMO=0)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("run-production", help="start the production profile on this machine: N Rasa and N action "
                                              "servers behind HAProxy, the web app, a job worker; settings from the environment")
    p.add_argument("--rasa", type=int, default=2, help="Rasa servers (default 2)")
    p.add_argument("--actions", type=int, default=2, help="action servers (default 2)")
    p.add_argument("--web-port", type=int, default=8000)
    p.add_argument("--rasa-lb-port", type=int, default=5005, help="HAProxy's front end for Rasa")
    p.add_argument("--actions-lb-port", type=int, default=5055, help="HAProxy's front end for the action servers")
    p.add_argument("--stats-port", type=int, default=8404, help="HAProxy's statistics page")
    p.add_argument("--web-workers", type=int, default=2)
    p.set_defaults(func=cmd_run_production)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade
    from bot.settings import Settings

    upgrade(Settings.from_env().database_url)
    return 0


def create_demo_survey(database_url: str, public_url: str, agent: str = "demo-agent-001") -> str:
    """Register a demo call on ``database_url`` and return its chat URL."""
    from bot.conversation import calls
    from bot.db.session import open_session
    from bot.settings import Settings

    settings = Settings.from_env()
    req = calls.CallRequest(call_id=f"demo-{uuid.uuid4().hex[:12]}", agent_ids=[agent],
                              ended_at=datetime.now(UTC))
    with open_session(database_url) as s, s.begin():
        survey, _ = calls.register_call(s, req, window_minutes=settings.survey_window_minutes,
                                          template_version=settings.greeting_version)
        token = survey.token
    return f"{public_url}/s/{token}"


def cmd_demo_survey(args: argparse.Namespace) -> int:
    from bot.settings import Settings

    settings = Settings.from_env()
    print(create_demo_survey(settings.database_url, settings.public_base_url, args.agent))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.ops.stack import Stack, StackError
    from bot.settings import Settings

    settings = Settings.from_env()
    demo_logins = None
    if not args.no_demo and settings.env == "development":
        from bot.demo import centre

        print("loading the demo centre (three teams, 60 days of calls, cases, appeals; skipped when loaded)…", flush=True)
        demo_logins = centre.load(settings)
    extra_env: dict[str, str] = {}
    if settings.env == "development" and not settings.rasa_api_token:
        # Rasa keeps development trackers in memory: erasing a customer's conversation there goes through
        # Rasa's HTTP API (bot.privacy.tracker), so this run opens it on 127.0.0.1 behind a token of its own.
        import secrets

        extra_env["RASA_API_TOKEN"] = secrets.token_hex(24)  # hex: never read as an option ("-…")
    stack = Stack(database_url=settings.database_url, log_dir=settings.log_dir, web_port=args.web_port,
                  rasa_port=5005, action_port=5055, extra_env=extra_env)
    print("starting Rasa, the action server, the web app and the job worker (first start trains the Rasa model)…",
          flush=True)
    try:
        stack.start()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    demo = create_demo_survey(settings.database_url, stack.web_url)
    print(f"""
Post-call feedback bot is running (database: {settings.database_url})
  demo survey (open in a browser): {demo}
  API docs (OpenAPI):              {stack.web_url}/docs
  Rasa server:                     {stack.rasa_url}
  action server:                   http://127.0.0.1:{stack.action_port}
  job worker:                      {settings.jobs_backend} queue, `feedbackbot jobs list`
  logs:                            {stack.log_dir}
New demo survey: `make demo`. Stop with Ctrl-C.""", flush=True)
    if demo_logins:
        from bot.demo import centre

        print(centre.describe_logins(demo_logins, stack.web_url), flush=True)
    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            for name, proc in stack.procs.items():
                if proc.poll() is not None:
                    print(f"error: {name} exited ({proc.returncode}):\n{stack.tail(name)}", file=sys.stderr)
                    stopping = True
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def cmd_run_production(args: argparse.Namespace) -> int:
    from bot.ops.production import ProductionStack
    from bot.ops.stack import StackError
    from bot.settings import Settings

    settings = Settings.from_env()
    if not settings.database_url.startswith("postgresql"):
        print("run-production: set DATABASE_URL to a PostgreSQL database (postgresql://user@host/db)")
        return 2
    stack = ProductionStack(database_url=settings.database_url, log_dir=settings.log_dir, web_port=args.web_port,
                            rasa_port=args.rasa_lb_port, action_port=args.actions_lb_port,
                            stats_port=args.stats_port, rasa_count=args.rasa, action_count=args.actions)
    try:
        stack.start(workers=args.web_workers)
    except StackError as exc:
        print(f"run-production: {exc}")
        return 1
    print(f"web app      {stack.web_url}   (the only port meant for customers, behind your TLS proxy)")
    print(f"Rasa         {stack.rasa_url} -> {', '.join(map(str, stack.rasa_ports))}")
    print(f"actions      http://127.0.0.1:{stack.action_port} -> {', '.join(map(str, stack.action_ports))}")
    print(f"HAProxy      {stack.stats_url}")
    print("job worker   1, queue on Redis (`feedbackbot jobs list`)")
    print(f"logs         {stack.log_dir}   (Ctrl-C stops everything)")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        while all(p.poll() is None for p in stack.procs.values()):
            time.sleep(1)
        dead = [n for n, p in stack.procs.items() if p.poll() is not None]
        print(f"run-production: {', '.join(dead)} exited; stopping (see {stack.log_dir})")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()
