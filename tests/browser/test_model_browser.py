"""The admin's model page in Debian's Chromium: start training, watch progress, compare, promote, roll back.

The web app and the job worker run as in production on one SQLite database
and their own model store (a copy of this checkout's promoted model, ``BASE``).
Training starts from the page on a small corpus (``FEEDBACKBOT_CLASSIFIER_CORPUS``:
the first lines of every corpus file), so the worker's real training job ends in
seconds; the candidate it makes is weaker than ``BASE``, so the gate refuses it
on the frozen sets and the admin overrides with a written reason, then rolls back.

Screenshots go to ``var/screenshots/model-*.png`` for a person to look at.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import AuditLog
from bot.db.session import open_session
from bot.model_store import do_promote, history
from bot.ops.stack import Stack
from bot.settings import Settings
from classifiers import registry
from classifiers.training.dataset import DEFAULT_DATA_DIR
from tests.browser.test_staff_browser import log_in, shot
from tests.staff_data import build

pytestmark = pytest.mark.slow

PER_FILE = 16
WHY = "试用新版本一天，观察误归客服情况"


@dataclass
class Site:
    url: str
    db: str
    store: Path
    base: str


@pytest.fixture(scope="module")
def model_site(tmp_path_factory) -> Iterator[Site]:
    from bot.db.migrate import upgrade

    base_dir = tmp_path_factory.mktemp("model-site")
    db = f"sqlite:///{base_dir / 'feedbackbot.db'}"
    upgrade(db)
    build(db, base_dir)
    corpus = base_dir / "corpus"
    corpus.mkdir()
    for f in sorted(DEFAULT_DATA_DIR.glob("*.jsonl")):
        lines = [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()][:PER_FILE]
        (corpus / f.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    source_root = Settings.from_env({}).model_dir
    base = registry.read_current_file(source_root)
    if not base:
        pytest.fail(f"no promoted model under {source_root}: run `feedbackbot classifier ensure`", pytrace=False)
    store = base_dir / "models"
    shutil.copytree(source_root / base, store / base)
    with open_session(db) as s, s.begin():
        do_promote(s, base, actor="system", why="开通时的模型", root=store)
    stack = Stack(database_url=db, log_dir=base_dir / "log",
                  extra_env={"FEEDBACKBOT_ENV": "development", "FEEDBACKBOT_MODEL_DIR": str(store),
                             "FEEDBACKBOT_CLASSIFIER_CORPUS": str(corpus),
                             "FEEDBACKBOT_JOBS_SQLITE_PATH": str(base_dir / "jobs.sqlite3")})
    stack.start_web_only()
    try:
        stack._spawn("worker", stack.worker_cmd(), stack.env())
        stack.wait_worker("worker", 120)
        yield Site(stack.web_url, db, store, base)
    finally:
        stack.stop()


@pytest.fixture()
def desktop(chromium):
    ctx = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    ctx.close()


def job_row(page, title: str):
    return page.locator("section[aria-labelledby=jobs-h] tbody tr", has_text=title).first


def current_version(site: Site) -> str | None:
    with open_session(site.db) as s:
        rows = history(s, limit=1)
        return rows[0].to_version if rows else None


def test_admin_trains_watches_compares_overrides_and_rolls_back(model_site, desktop):
    page = desktop
    log_in(page, model_site.url, "ADM")
    page.wait_for_url("**/admin")
    page.goto(f"{model_site.url}/admin/model")
    assert page.locator("section[aria-labelledby=current-h] strong").inner_text() == model_site.base
    shot(page, "model-1-before")

    # Start training: queued on the job runner, the page refreshes itself while it runs.
    page.get_by_role("button", name="用人工标注重新训练").click()
    page.wait_for_url("**/admin/model?notice=train")
    assert "已排队重新训练" in page.locator("p.notice").inner_text()
    training = "用人工标注重新训练分类模型"
    job_row(page, training).filter(has_text="进行中").wait_for(timeout=60_000)
    shot(page, "model-2-progress")
    progress = [int(job_row(page, training).locator("progress").get_attribute("value") or 0)]
    job_row(page, training).filter(has_text="已完成").wait_for(timeout=240_000)
    assert job_row(page, training).locator("progress").get_attribute("value") == "100"
    assert progress[0] < 100
    versions = registry.list_versions(model_site.store)
    assert len(versions) == 2
    candidate = next(v for v in versions if v != model_site.base)
    row = page.locator("section[aria-labelledby=versions-h] tbody tr", has_text=candidate)
    assert "拒绝，查看原因" in row.inner_text()
    shot(page, "model-3-trained")

    # Compare: both versions side by side on every frozen set, the gate's reasons.
    row.get_by_role("link", name="拒绝，查看原因").click()
    page.wait_for_url(f"**/admin/model/versions/{candidate}")
    assert "拒绝上线" in page.locator("section[aria-labelledby=gate-h]").inner_text()
    reasons = page.locator("ul.gate-reasons").inner_text()
    assert "二分类F1从" in reasons and "降幅超过允许的 0.01" in reasons  # in Chinese, per frozen set
    for title in ("冻结测试集（v1）", "独立评估集一", "独立评估集二"):
        assert page.get_by_role("heading", name=re.compile(title)).count() == 1, title
    assert page.locator("tr.worse").count() >= 1  # the weaker candidate's worse figures are marked
    assert page.locator("section[aria-labelledby=causes-h] tbody tr").count() == 11
    shot(page, "model-4-compare")

    # Promote through the gate: refused, the current version stays.
    page.get_by_role("button", name="经闸门上线").click()
    page.wait_for_url("**/admin/model?notice=promote")
    promoting = "经闸门检查上线分类模型版本"
    job_row(page, promoting).filter(has_text="已完成").wait_for(timeout=120_000)
    assert "闸门拒绝上线" in job_row(page, promoting).inner_text()
    assert current_version(model_site) == model_site.base

    # Override with a written reason: promoted, audited.
    page.goto(f"{model_site.url}/admin/model/versions/{candidate}")
    page.get_by_label("强制（闸门拒绝时）").check()
    page.get_by_label("理由").fill(WHY)
    page.get_by_role("button", name="经闸门上线").click()
    page.wait_for_url("**/admin/model?notice=promote")
    page.locator("section[aria-labelledby=current-h] strong", has_text=candidate).wait_for(timeout=120_000)
    history_table = page.locator("section[aria-labelledby=history-h] tbody")
    newest = history_table.locator("tr").first.inner_text()
    assert WHY in newest and "强制，越过闸门" in newest
    assert "强制上线" in job_row(page, promoting).inner_text()
    shot(page, "model-5-promoted")

    # Roll back one step: at once, recorded.
    page.get_by_label("回滚理由").fill("坐席反映误判增多")
    page.get_by_role("button", name="回滚一步").click()
    page.wait_for_url(re.compile(r".*/admin/model\?notice=rolledback.*"))
    assert page.locator("section[aria-labelledby=current-h] strong").inner_text() == model_site.base
    assert "回滚" in history_table.locator("tr").first.inner_text()
    shot(page, "model-6-rolled-back")

    # Shadow mode for the candidate: it reads beside the promoted model; the figures start at zero.
    page.locator("section[aria-labelledby=versions-h] tbody tr", has_text=candidate) \
        .get_by_role("button", name="影子试用").click()
    page.wait_for_url("**/admin/model?notice=shadow")
    shadow_panel = page.locator("section[aria-labelledby=shadow-h]")
    assert candidate in shadow_panel.inner_text() and "已阅读的原因" in shadow_panel.inner_text()
    shot(page, "model-7-shadow")

    # Re-attribution preview of the last two weeks (the built centre's calls) with the candidate.
    today = datetime.now(UTC).date()
    page.goto(f"{model_site.url}/admin/model/reattribution?version={candidate}"
              f"&period={today - timedelta(days=14)}..{today}")
    assert "读了" in page.locator("section[aria-labelledby=moves-h]").inner_text()
    shot(page, "model-8-reattribution")
    assert page.errors == []

    with open_session(model_site.db) as s:
        rows = [(h.action, h.actor, h.from_version, h.to_version, h.why) for h in reversed(history(s))]
        audits = [(a.action, a.actor, a.data.get("why")) for a in s.scalars(
            select(AuditLog).where(AuditLog.entity == "classifier_model").order_by(AuditLog.id))]
    assert rows == [("initial", "system", None, model_site.base, "开通时的模型"),
                    ("promote", "admin:ADM", model_site.base, candidate, WHY),
                    ("rollback", "admin:ADM", candidate, model_site.base, "坐席反映误判增多")]
    assert audits == [("initial", "system", "开通时的模型"), ("promote", "admin:ADM", WHY),
                      ("rollback", "admin:ADM", "坐席反映误判增多")]
