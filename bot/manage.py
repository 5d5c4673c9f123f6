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

    p = sub.add_parser("run", help="start Rasa, the action server and the web app; print the URLs")
    p.add_argument("--web-port", type=int, default=8000)
    p.add_argument("--no-demo", action="store_true", help="do not load the demo centre (make run DEMO=0)")
    p.set_defaults(func=cmd_run)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade
    from bot.settings import Settings

    upgrade(Settings.from_env().database_url)
    return 0


def create_demo_survey(database_url: str, public_url: str, agent: str = "demo-agent-001") -> str:
    """Register a demo call on ``database_url`` and return its chat URL."""
    from bot.db.session import open_session
    from bot.services import surveys
    from bot.settings import Settings

    settings = Settings.from_env()
    req = surveys.CallRequest(call_id=f"demo-{uuid.uuid4().hex[:12]}", agent_ids=[agent],
                              ended_at=datetime.now(UTC))
    with open_session(database_url) as s, s.begin():
        survey, _ = surveys.register_call(s, req, window_minutes=settings.survey_window_minutes,
                                          template_version=settings.greeting_version)
        token = survey.token
    return f"{public_url}/s/{token}"


def cmd_demo_survey(args: argparse.Namespace) -> int:
    from bot.settings import Settings

    settings = Settings.from_env()
    print(create_demo_survey(settings.database_url, settings.public_base_url, args.agent))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.stack import Stack, StackError

    settings = Settings.from_env()
    demo_logins = None
    if not args.no_demo and settings.env == "development":
        from bot.services import demo_centre

        print("loading the demo centre (three teams, a month of calls; skipped when already loaded)…", flush=True)
        demo_logins = demo_centre.load(settings)
    stack = Stack(database_url=settings.database_url, log_dir=settings.log_dir, web_port=args.web_port,
                  rasa_port=5005, action_port=5055)
    print("starting Rasa, the action server and the web app (first start trains the Rasa model)…", flush=True)
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
  logs:                            {stack.log_dir}
New demo survey: `make demo`. Stop with Ctrl-C.""", flush=True)
    if demo_logins:
        from bot.services import demo_centre

        print(demo_centre.describe_logins(demo_logins, stack.web_url), flush=True)
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
