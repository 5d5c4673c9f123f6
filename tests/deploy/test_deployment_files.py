"""The deployment files, checked by reading (no Docker engine runs here): topology, health checks, secrets."""
from __future__ import annotations

import re

import pytest
from ruamel.yaml import YAML

from bot.settings import ROOT

DEPLOY = ROOT / "deploy"
COMPOSE = YAML(typ="safe").load((DEPLOY / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ONE_OFF = {"migrate", "model-init"}
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET", "PASS")


def test_the_services_and_images():
    assert set(SERVICES) == {"postgres", "redis", "rabbitmq", "rasa", "actions", "web", "worker", "migrate", "model-init",
                             "funnel-consumer"}
    assert SERVICES["rasa"]["image"] == "rasa/rasa:3.6.21-full"  # the -full variant carries jieba
    for name in ("actions", "web", "worker", "migrate", "model-init", "funnel-consumer"):
        assert SERVICES[name]["build"]["dockerfile"] == "deploy/Dockerfile"
    for name in ("postgres", "redis", "rabbitmq"):
        tag = SERVICES[name]["image"].split(":")[1]
        assert re.match(r"\d+\.\d+", tag), f"{name} image not pinned: {tag}"


def test_only_the_web_app_is_published_and_the_rest_is_internal():
    assert COMPOSE["networks"]["internal"]["internal"] is True
    assert COMPOSE["networks"]["public"].get("internal") is not True
    published = {name for name, svc in SERVICES.items() if svc.get("ports")}
    assert published == {"web"}
    assert SERVICES["web"]["ports"] == ["8000:8000"]
    for name, svc in SERVICES.items():
        expected = ["internal", "public"] if name == "web" else ["internal"]
        assert sorted(svc["networks"]) == expected, name


def test_every_long_running_service_has_a_health_check():
    for name, svc in SERVICES.items():
        if name in ONE_OFF:
            assert svc["restart"] == "no"
            continue
        assert svc["healthcheck"]["test"], name
    # Ours check their dependencies, not just the process.
    assert "/ready" in " ".join(SERVICES["actions"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])


def test_secrets_come_from_the_environment_only():
    for name, svc in SERVICES.items():
        for key, value in (svc.get("environment") or {}).items():
            if any(word in key for word in SECRET_WORDS) and value not in (None, ""):
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", str(value)), f"{name}.{key} is not from the environment"
        url = str((svc.get("environment") or {}).get("DATABASE_URL", ""))
        assert not url or "${POSTGRES_PASSWORD:?" in url


def test_the_processes_that_classify_share_one_model_volume_at_the_model_directory():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    model_dir = re.search(r"FEEDBACKBOT_MODEL_DIR=(\S+)", dockerfile).group(1)
    mounts = {name: svc.get("volumes") or [] for name, svc in SERVICES.items()}
    for name in ("web", "worker", "actions", "model-init"):
        assert f"models:{model_dir}" in mounts[name], name
    assert "models" in COMPOSE["volumes"]
    assert SERVICES["worker"]["command"] == ["feedbackbot", "worker"]
    # The first model is trained into the volume before anything that classifies starts.
    assert SERVICES["model-init"]["command"] == ["feedbackbot", "classifier", "ensure"]
    for name in ("web", "worker", "actions"):
        assert SERVICES[name]["depends_on"]["model-init"] == {"condition": "service_completed_successfully"}
    assert not re.search(r"^RUN .*classifier (ensure|train)", dockerfile, re.M), "the image bakes no model in"


def test_rasa_gets_every_variable_its_production_endpoints_read():
    # Comments are not read by Rasa (one explains the ${VAR} syntax itself).
    settings = re.sub(r"(?m)^\s*#.*$", "", (ROOT / "endpoints.production.yml").read_text())
    needed = set(re.findall(r"\$\{(\w+)\}", settings))
    assert needed, "endpoints.production.yml reads its settings from the environment"
    assert needed <= set(SERVICES["rasa"]["environment"])
    assert SERVICES["rasa"]["environment"]["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"


@pytest.mark.parametrize("name, port", [("actions", "5055"), ("web", "8000")])
def test_our_commands_and_checks_agree_on_ports(name, port):
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    command = SERVICES[name].get("command") or re.search(r'^CMD (\[.*\])', dockerfile, re.M).group(1)
    assert port in str(command)
    assert f":{port}/" in " ".join(SERVICES[name]["healthcheck"]["test"])


def test_the_image_runs_as_an_unprivileged_user_and_bakes_no_secret():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] != "root"
    assert not re.search(r"^(ENV|ARG) .*(PASSWORD|TOKEN|SECRET)", dockerfile, re.M)
    assert "bot.web.app:create_app" in dockerfile and "actions.server" in dockerfile


def test_haproxy_template_balances_both_tiers_with_real_checks():
    from bot.ops.production import render_haproxy

    cfg = render_haproxy([6001, 6002], [6101], rasa_lb=6000, actions_lb=6100, stats=6200)
    assert "${" not in cfg
    assert "server rasa-0 127.0.0.1:6001 check" in cfg and "server rasa-1 127.0.0.1:6002 check" in cfg
    assert "server actions-0 127.0.0.1:6101 check" in cfg
    assert "bind 127.0.0.1:6000" in cfg and "bind 127.0.0.1:6100" in cfg and "bind 127.0.0.1:6200" in cfg
    assert "option httpchk GET /ready" in cfg
    assert not re.search(r"bind (0\.0\.0\.0|\*|:)", cfg)  # loopback only


def test_the_rendered_haproxy_configuration_is_valid(tmp_path):
    import subprocess

    from bot.ops.production import haproxy_bin, render_haproxy

    binary = haproxy_bin()
    if binary is None:
        from tests.conftest import unavailable

        unavailable("haproxy not installed (make prod-deps)")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_haproxy([6001, 6002], [6101, 6102], rasa_lb=6000, actions_lb=6100, stats=6200))
    check = subprocess.run([binary, "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
