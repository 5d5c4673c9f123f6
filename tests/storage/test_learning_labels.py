"""Labels with provenance for retraining, read from the database on SQLite and PostgreSQL.

Causes given in an import and by a reviewer become labels with their source, who and when; the model's own
readings never do; a decided appeal becomes a golden item of the gate.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.conversation import calls
from bot.db.models import Reason, Survey
from bot.db.session import open_session
from bot.db.staff import Appeal
from bot.domain import AppealStatus
from bot.importing import history
from bot.learning.labels import golden_appeals, person_labels
from bot.settings import Settings
from tests import rows

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
CSV = """call_id,agent_id,team,ended_at,replied_at,reply,reason,cause
L1,A1,一组,2026-11-10T09:00:00+08:00,2026-11-10T09:05:00+08:00,2,充电桩扫码一直启动失败，换了三个桩都不行,company.system
L2,A1,一组,2026-11-10T10:00:00+08:00,2026-11-10T10:05:00+08:00,1,客服说充满自动停不收占位费，结果照样扣了,staff.competence
L3,A1,一组,2026-11-10T11:00:00+08:00,2026-11-10T11:05:00+08:00,5,,
"""


def fake(text: str):
    from classifiers import CauseResult

    return CauseResult("none", "none", 0.9, False, "", "test-model")


def test_import_causes_and_reviewer_labels_are_training_labels_the_models_are_not(db_url, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(CSV, encoding="utf-8")
    summary = history.import_file(Settings(database_url=db_url), path, progress=False,
                                  classify_many=lambda texts: [fake(t) for t in texts])
    assert summary.imported == 3 and not summary.bad
    with open_session(db_url) as s, s.begin():
        sid = s.scalar(select(Survey.id).join(Survey.call).where(Survey.call.has(external_id="L2")))
        rating_id = s.scalar(select(Reason.rating_id).join(Reason.rating).where(Reason.rating.has(survey_id=sid)))
        rows.record_reason(s, rating_id, "客服说充满自动停不收占位费，结果照样扣了", cause="staff.competence",
                           attribution="staff", source="reviewer", now=T0 + timedelta(days=1), actor="reviewer:R1")
    with open_session(db_url) as s:
        labels = person_labels(s)
    assert [(x.text, x.cause, x.source, x.who) for x in labels] == [
        ("充电桩扫码一直启动失败，换了三个桩都不行", "company.system", "import", "import"),
        ("客服说充满自动停不收占位费，结果照样扣了", "staff.competence", "import", "import"),
        ("客服说充满自动停不收占位费，结果照样扣了", "staff.competence", "reviewer", "reviewer:R1"),
    ]


def test_decided_appeals_are_the_gates_golden_set(db_url):
    with open_session(db_url) as s, s.begin():
        req = calls.CallRequest(call_id="G1", agent_ids=["A1"], ended_at=T0)
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=T0)
        rating = rows.record_rating(s, survey, 1, "1", T0 + timedelta(minutes=2))
        blamed = rows.record_reason(s, rating, "等了四十分钟才有人接", cause="staff.attitude", attribution="staff",
                                    source="model", now=T0 + timedelta(minutes=3), confidence=0.91)
        s.add(Appeal(reason_id=blamed.id, agent_id="A1", text="排队是系统问题", status=AppealStatus.UPHELD,
                     created_at=T0 + timedelta(days=1)))
        rows.record_reason(s, rating, "等了四十分钟才有人接", cause="company.system", attribution="non_staff",
                           source="reviewer", now=T0 + timedelta(days=2), actor="supervisor:S1")
    with open_session(db_url) as s:
        golden = golden_appeals(s)
    assert [(g.text, g.cause, g.upheld) for g in golden] == [("等了四十分钟才有人接", "company.system", True)]


def test_training_with_labels_from_a_database_without_our_tables_says_so_and_trains_nothing(tmp_path):
    """``train --with-labels`` against an empty (never migrated) database: a clear error, exit 2, no version."""
    import os
    import subprocess
    import sys

    models = tmp_path / "models"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "FEEDBACKBOT_MODEL_DIR": str(models)}
    done = subprocess.run([sys.executable, "-c", "import sys; from bot.cli.main import main; sys.exit(main())",
                           "classifier", "train", "--with-labels", "--promote"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "cannot read the person labels from DATABASE_URL" in done.stderr
    assert "feedbackbot db-upgrade" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(models.glob("2*")), "nothing may be trained"
