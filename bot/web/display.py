"""Chinese names shown on the staff pages and in exports: causes, statuses, column headers.

The cause names are written once in ``bot.domain.cause_names``; templates, the explanation sentence
and the exports all read them from this module.
"""
from __future__ import annotations

from bot.domain import CAUSES, AppealStatus, RatingStatus, ReasonSource, SurveyStatus
from bot.domain.cause_names import CAUSE_NAMES as DOMAIN_CAUSE_NAMES

#: Every cause code → its Chinese name on the staff pages (written once, in the domain: notifications use it too).
CAUSE_NAMES: dict[str, str] = dict(DOMAIN_CAUSE_NAMES)
assert set(CAUSE_NAMES) == set(CAUSES), "every cause code needs a Chinese name"

ATTRIBUTION_NAMES = {"staff": "服务原因", "non_staff": "非服务原因", "none": "未归因"}

#: Where a survey went and its replies came from (``calls.channel``), in the order the pages list them.
CHANNEL_NAMES: dict[str, str] = {"web": "网页", "sms": "短信", "wechat": "微信"}

#: Who set a reason's cause (``reasons.source``), as the survey page's reason history says it.
REASON_SOURCE_NAMES: dict[str, str] = {"model": "模型判断", "customer": "客户选择", "reviewer": "审核员标注",
                                       "import": "历史导入", "appeal": "申诉决定"}

#: A stored score's status (``ratings.status``) on the survey page.
RATING_STATUS_NAMES: dict[str, str] = {"valid": "有效", "late": "超时，不计入", "corrected": "已被更正，不计入",
                                       "opted_out": "客户退出评价，不计入"}

#: A survey's life cycle (``surveys.status``) on the survey page.
SURVEY_STATUS_NAMES: dict[str, str] = {"pending": "已发送，未回复", "in_progress": "进行中", "completed": "已完成",
                                       "closed_no_score": "已结束，未评分", "opted_out": "客户退出评价",
                                       "expired": "已过期"}

assert set(REASON_SOURCE_NAMES) == {v.value for v in ReasonSource}, "every reason source needs a Chinese name"
assert set(RATING_STATUS_NAMES) == {v.value for v in RatingStatus}, "every rating status needs a Chinese name"
assert set(SURVEY_STATUS_NAMES) == {v.value for v in SurveyStatus}, "every survey status needs a Chinese name"


def channel_name(code: str | None) -> str:
    """The Chinese name of a channel code (网页, 短信, 微信; the code itself if unknown)."""
    return CHANNEL_NAMES.get(code or "", code or "—")


def channel_order(code: str) -> int:
    """Sort key: the channels in :data:`CHANNEL_NAMES` order, unknown ones last."""
    order = list(CHANNEL_NAMES)
    return order.index(code) if code in order else len(order)

#: What an appeal's status is called on every page: the agent and the supervisor see 申诉中 until a decision.
APPEAL_STATUS_NAMES = {AppealStatus.OPEN.value: "申诉中", AppealStatus.ESCALATED.value: "申诉中",
                       AppealStatus.REVIEW.value: "申诉中", AppealStatus.UPHELD.value: "申诉成立",
                       AppealStatus.REJECTED.value: "申诉未成立"}

#: The detail of a pending appeal's state (the appeal page and the agent's list).
APPEAL_STAGE_NAMES = {AppealStatus.OPEN.value: "等待{who}决定", AppealStatus.ESCALATED.value: "已升级至管理员",
                      AppealStatus.REVIEW.value: "管理员复核中", AppealStatus.UPHELD.value: "申诉成立",
                      AppealStatus.REJECTED.value: "申诉未成立"}
APPEAL_DECIDERS = {"supervisor": "主管", "panel": "评审团"}
APPEAL_ESCALATIONS = {"overdue": "逾期未决定", "split": "评审团意见不一致", "no_decider": "没有可回避冲突的决定人"}
APPEAL_VOTE_NAMES = {"uphold": "申诉成立", "reject": "申诉不成立"}

#: Why a feedback item counts or not (keys: ``bot.scoring.agent_feedback.ItemStatus``); (short label, explanation).
ITEM_STATUS: dict[str, tuple[str, str]] = {
    "satisfied": ("计入", "满意评价，计入两项满意度"),
    "staff": ("计入", "与服务有关的不满意，计入归因满意度"),
    "non_staff": ("不计入归因", "与客服的服务无关，只计入原始满意度"),
    "unattributed": ("不计入归因", "未说明原因或原因不明确，不归因于客服"),
    "review": ("待审核", "可能与服务有关，审核确认前不计入归因满意度"),
    "appeal_upheld": ("不计入归因", "申诉成立，已从归因满意度中移除"),
    "late": ("不计入", "超时：在评价有效期之后回复"),
    "corrected": ("不计入", "已更正：客户随后修改了评分"),
    "opted_out": ("不计入", "客户已退出评价"),
}

VERDICT_INSUFFICIENT = "样本不足"

#: Colour classes of an attributed CSAT with a verdict (never for 样本不足): (lowest value, css class, legend).
CSAT_BANDS: tuple[tuple[float, str, str], ...] = (
    (0.9, "band-good", "≥ 90%"), (0.8, "band-mid", "80%–90%"), (0.0, "band-low", "< 80%"),
)


def cause_name(code: str | None) -> str:
    """The Chinese name of a cause code ("—" when there is none)."""
    return CAUSE_NAMES.get(code, code) if code else "—"


def csat_band(value: float | None, verdict: str) -> str:
    """The colour class of an attributed CSAT; empty below the minimum sample or without a figure."""
    if value is None or verdict != "ok":
        return ""
    return next(css for low, css, _ in CSAT_BANDS if value >= low)


#: Keyboard of the review queue: one key per cause, in taxonomy order (1–9, 0, then "-", the key after 0).
REVIEW_KEYS: tuple[tuple[str, str], ...] = tuple(zip("1234567890-", CAUSES))
assert len(REVIEW_KEYS) == len(CAUSES) == 11, "one key per cause"

#: The classifier's twelfth training label, shown among its top guesses.
LABEL_NAMES = {**CAUSE_NAMES, "unclear": "不明确"}

#: The frozen evaluation sets of the classifier's gate (classifiers/data/frozen/manifest.json), by name.
FROZEN_SET_NAMES = {"test_split_v1": "冻结测试集（v1）", "independent_eval": "独立评估集一",
                    "independent_eval_2": "独立评估集二"}
#: The gate's figures per frozen set: report key → (Chinese name, whether a higher value is better).
GATE_METRICS: tuple[tuple[str, str, bool], ...] = (
    ("binary_f1", "二分类F1（客服/非客服）", True),
    ("cause_macro_f1", "11类宏F1", True),
    ("false_blame", "误归客服（条，未询问即归给客服）", False),
    ("false_blame_rate", "误归客服率", False),
    ("staff_coverage", "客服原因覆盖率", True),
)
#: A background job run's status, as the model page shows it.
JOB_STATUS_NAMES = {"queued": "排队中", "running": "进行中", "succeeded": "已完成", "failed": "失败", "retrying": "等待重试"}
#: The KPI figures a re-attribution preview shows per agent (``bot.learning.reattribution.KPI_FIGURES``).
REATTRIBUTION_FIGURES = {"staff_low": "客服原因差评（条）", "non_staff_low": "非客服原因差评（条）",
                         "unattributed_low": "未归因差评（条）", "attributed_csat": "归因满意度",
                         "staff_low_rate": "客服原因差评率"}
