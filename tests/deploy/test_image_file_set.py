"""The image's file set is complete: built without Docker (no engine runs here), then started and trained.

``deploy/Dockerfile`` is read instruction by instruction: exactly the paths
its ``COPY`` lines name (minus ``deploy/Dockerfile.dockerignore``) are copied
into a temporary ``/app``, its ``pip`` commands run there in a fresh virtual
environment against ``requirements.lock`` (the real install, from the local
package index), and its ``ENV`` is applied with ``/app`` mapped to that
directory. Only the account commands (``useradd``, ``chown``) are left out.
Then, from that directory alone: the image's ``CMD`` serves the web app
(``/livez``, the login page with its template, a static file), the compose
file's one-off commands migrate the database and train and promote the first
model into the model directory, and the action server's ``/ready`` (database
and classifier) answers 200. A file the image lacks fails one of these.

Slow by nature (a full install and a full training): about as long as
``make setup``'s first run; it prints how long each step took.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from ruamel.yaml import YAML

from bot.settings import ROOT

pytestmark = pytest.mark.slow

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
IMAGE_WORKDIR = "/app"
# Commands about the container's account, which need root and change nothing in the file set.
ACCOUNT_COMMANDS = ("useradd ", "chown ")


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of a Dockerfile, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    out = []
    for entry in logical:
        word, _, rest = entry.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def ignore_patterns() -> list[str]:
    """The build context's ignore file: ``<Dockerfile>.dockerignore`` wins over ``.dockerignore``."""
    for candidate in (DOCKERFILE.with_name(DOCKERFILE.name + ".dockerignore"), ROOT / ".dockerignore"):
        if candidate.exists():
            lines = candidate.read_text().splitlines()
            return [ln.strip().strip("/") for ln in lines if ln.strip() and not ln.startswith("#")]
    return []


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's rules: anchored at the context root, ``*`` within one path element, ``**`` any number."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        else:
            part = fnmatch.translate(pattern[i])[4:-3]  # one character, escaped ("(?s:x)\\Z" → "x")
            out += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], part)
            i += 1
    return re.compile(out + "(?:/.*)?")  # a matching directory excludes its contents


def ignored(relpath: str, patterns: list[str]) -> bool:
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if _pattern_regex(pattern.lstrip("!")).fullmatch(relpath):
            verdict = not negate
    return verdict


def copy_into(app: Path, sources: list[str], dest: str, patterns: list[str]) -> list[str]:
    """``COPY sources dest`` from the repository (the build context) into ``app``; returns the files copied."""
    copied = []
    for source in sources:
        src = ROOT / source.rstrip("/")
        assert src.exists(), f"COPY {source}: not in the build context"
        target_dir = app / dest.removeprefix("./").rstrip("/") if dest not in ("./", ".") else app
        if src.is_file():
            target = target_dir / src.name if dest.endswith("/") else target_dir
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            copied.append(source)
            continue
        for path in sorted(src.rglob("*")):
            rel = path.relative_to(ROOT).as_posix()
            if path.is_dir() or ignored(rel, patterns):
                continue
            target = target_dir / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied.append(rel)
    return copied


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 300.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server exited with {proc.returncode}"
        try:
            return httpx.get(url, timeout=5.0)
        except httpx.TransportError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started in its own process group, its workers with it."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture()
def image_dir():
    """A directory of its own: pytest's numbered temporary directories are pruned by other pytest
    sessions of the same user while this long test runs (seen on a shared machine)."""
    path = Path(tempfile.mkdtemp(prefix="feedbackbot-image-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_image_file_set_installs_serves_and_trains(image_dir):
    tmp_path = image_dir
    timings: dict[str, float] = {}
    started = time.monotonic()
    app = tmp_path / "app"
    app.mkdir()
    venv = tmp_path / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FEEDBACKBOT_", "DATABASE_URL", "PYTHON", "VIRTUAL_ENV", "RASA_", "ACTION_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path)
    patterns = ignore_patterns()
    copied: list[str] = []

    def image_path(value: str) -> str:
        return value.replace(IMAGE_WORKDIR, str(app))

    steps = instructions(DOCKERFILE.read_text())
    assert steps[0][0] == "FROM" and steps[0][1].startswith("python:3.11")
    cmd: list[str] | None = None
    for word, args in steps[1:]:
        if word == "ENV":
            for key, value in (part.split("=", 1) for part in shlex.split(args)):
                env[key] = image_path(value)
        elif word == "WORKDIR":
            assert args == IMAGE_WORKDIR
        elif word == "COPY":
            *sources, dest = json.loads(args) if args.startswith("[") else shlex.split(args)
            assert not any(s.startswith("--") for s in sources), f"COPY option not understood here: {args}"
            copied += copy_into(app, sources, dest, patterns)
        elif word == "RUN":
            for command in (c.strip() for c in args.split("&&")):
                if command.startswith(ACCOUNT_COMMANDS):
                    continue
                t0 = time.monotonic()
                subprocess.run(image_path(command), shell=True, cwd=app, env=env, check=True,
                               executable="/bin/bash")
                timings[command[:40]] = time.monotonic() - t0
        elif word == "CMD":
            cmd = json.loads(args)
        else:
            assert word in ("USER", "EXPOSE"), f"Dockerfile instruction not understood here: {word} {args}"
    assert cmd is not None
    for package in ("actions", "bot", "classifiers", "zhtext"):
        assert any(path.startswith(package + "/") for path in copied), f"{package}/ is not copied into the image"
    assert not any(path.startswith(("tests/", "var/", ".venv")) for path in copied)

    # Every import resolves inside the image's directory, nothing from this checkout.
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import actions, bot, classifiers, zhtext; print('\\n'.join(m.__file__ for m in (actions, bot, classifiers, zhtext)))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert all(line.startswith(str(app)) for line in probe.stdout.split()), probe.stdout

    env.update({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'feedbackbot.db'}",
        "FEEDBACKBOT_ENV": "development",
    })
    compose = YAML(typ="safe").load((ROOT / "deploy" / "docker-compose.yml").read_text())["services"]
    for service in ("migrate", "model-init"):  # the one-off commands, in compose's order
        t0 = time.monotonic()
        done = subprocess.run(compose[service]["command"], cwd=app, env=env, capture_output=True, text=True)
        timings[service] = time.monotonic() - t0
        assert done.returncode == 0, done.stdout + done.stderr

    model_dir = Path(env["FEEDBACKBOT_MODEL_DIR"])
    assert model_dir.is_relative_to(app)
    version = (model_dir / "CURRENT").read_text().strip()
    assert (model_dir / version / "model").is_dir()
    with sqlite3.connect(tmp_path / "feedbackbot.db") as db:
        assert db.execute("SELECT action, to_version FROM model_promotions").fetchall() == [("initial", version)]

    port = free_port()
    web_cmd = [str(port) if arg == "8000" else arg for arg in cmd]
    web_cmd[web_cmd.index("--host") + 1] = "127.0.0.1"
    web = subprocess.Popen(web_cmd, cwd=app, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        t0 = time.monotonic()
        assert wait_http(f"http://127.0.0.1:{port}/livez", web).status_code == 200
        timings["web start"] = time.monotonic() - t0
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)
        assert login.status_code == 200 and "<form" in login.text
        css = re.search(r'href="(/static/[^"?]+\.css)', login.text)
        assert css and httpx.get(f"http://127.0.0.1:{port}{css.group(1)}", timeout=10).status_code == 200
    finally:
        stop(web)

    port = free_port()
    action_server = subprocess.Popen([str(venv / "bin" / "python"), "-m", "actions.server", "-p", str(port)],
                                     cwd=app, env={**env, "SANIC_HOST": "127.0.0.1"},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        t0 = time.monotonic()
        ready = wait_http(f"http://127.0.0.1:{port}/ready", action_server)
        timings["action server ready"] = time.monotonic() - t0
        assert ready.status_code == 200, ready.text
    finally:
        stop(action_server)
    timings["total"] = time.monotonic() - started
    print("image file set:", json.dumps({k: round(v, 1) for k, v in timings.items()}, ensure_ascii=False))


@pytest.mark.parametrize("path, expected", [
    ("var/feedbackbot.db", True), ("bot/__pycache__/x.pyc", True), ("bot/web/x.pyc", True),
    ("tests/unit/test_x.py", True), ("bot/settings.py", False), ("classifiers/data/items/a.jsonl", False),
    ("zhtext/var.py", False),
])
def test_the_ignore_rules_are_read_as_docker_reads_them(path, expected):
    assert ignored(path, ignore_patterns()) is expected
