"""Every Chinese text of the staff pages (the customer's chat texts are ``bot.conversation.notices`` and ``domain.yml``)."""
from __future__ import annotations

from bot.conversation.notices import (  # noqa: F401 - the chat page's texts are the gateway's
    BUSY,
    CLOSED_NOTICES,
    EMPTY_MESSAGE,
    MAX_MESSAGE_CHARS,
    MESSAGE_TOO_LONG,
    OPTED_BACK_IN,
    RESEND,
    SURVEY_NOT_FOUND,
)

# --- staff pages (login, access control) -----------------------------------------
LOGIN_TITLE = "员工登录"
LOGIN_INVALID = "工号或密码不正确，请重新输入。"
LOGIN_RATE_LIMITED = "登录失败次数过多，请15分钟后再试。"
LOGIN_DEMO_REFUSED = "演示账号只能在开发环境中使用。"
LOGIN_EMPTY = "请输入工号和密码。"
LOGIN_DISABLED = "该账号已停用，请联系管理员。"
LOGIN_CONTROL_CHARACTERS = "工号或密码中含有无法识别的控制字符（可能来自复制粘贴），请手动输入后重试。"
LOGGED_OUT = "您已安全退出。"
FORBIDDEN_TITLE = "无权访问"
FORBIDDEN = "抱歉，您没有权限查看此页面。"
CSRF_FAILED = "页面已过期或请求来源无法验证，请刷新页面后重试。"
ROLE_NAMES = {"agent": "客服", "supervisor": "主管", "reviewer": "质检员", "admin": "管理员"}

# --- staff pages (KPIs, feedback, appeals, exports) --------------------------------
PAGE_ME = "我的评价"
PAGE_TEAM = "团队评价"
PAGE_ADMIN = "全部团队"
PAGE_SURVEY = "评价详情"
PERIOD_INVALID = "时间范围格式不正确，已显示近30天。"
CAUSE_INVALID = "原因筛选无效，已显示全部原因。"
NOT_FOUND_AGENT = "没有找到该客服。"
NOT_FOUND_TEAM = "没有找到该团队。"
EXPORT_FORMAT_INVALID = "导出格式只能是 csv 或 xlsx。"
EXPORT_REFUSED_TITLE = "无法导出"
EXPORT_TOO_MANY = "这段时间的评价超过 {limit:,} 条，一次导不完；请把时间范围分成几段，分别导出。"
APPEAL_STORED = "申诉已提交，决定后会在“我的申诉”中更新结果。"
APPEAL_REFUSALS = {
    "empty": "请填写申诉理由。",
    "too_long": "申诉理由太长了，请精简到1000字以内。",
    "not_found": "这条评价不能申诉：只能对计入您归因满意度的服务原因评价提出申诉。",
    "duplicate": "这条评价已经申诉过了，每条原因只能申诉一次。",
    "control_characters": "申诉理由中含有无法显示的控制字符（可能来自复制粘贴），请删除后重新提交。",
    "window_closed": "已超过申诉期限：原因出现在您的页面后 {days} 天内可以申诉。",
    "not_reviewable": "这条申诉不能再申请复核：只有被驳回且尚未复核的申诉可以申请一次管理员复核。",
}
BAD_REQUEST_TITLE = "请求无效"
BAD_REQUEST = "请求中的参数无效（编号超出范围或含有无法识别的字符），请返回页面后重试。"
SERVER_ERROR = "抱歉，服务器出错了，请稍后再试。"
PAGE_APPEALS = "待我决定的申诉"
PAGE_APPEAL = "申诉"
PAGE_ESCALATED = "升级到管理员的申诉"
APPEAL_DECIDED = "已记录您的决定。"
APPEAL_VOTED = "已记录您的投票。评审团成员彼此看不到投票。"
APPEAL_REVIEW_ASKED = "已申请管理员复核，复核结果为最终结果。"
DECISION_REFUSALS = {
    "not_allowed": "这条申诉现在不由您决定（可能已经有了结果）。",
    "bad_cause": "判定申诉成立时，请选择一个与客服服务无关的原因分类。",
    "already": "您已经投过票了。",
    "too_long": "说明太长了，请精简到1000字以内。",
}
NOT_FOUND_APPEAL = "没有找到这条申诉，或您无权查看。"
NO_RESPONSES = "本期暂无计入的评分。"
ALL_SATISFIED = "本期 {n} 条评分全部为满意，原始满意度与归因满意度相同。"
ALL_STAFF = "{low} 条一般或不满意的评分都与{whose}服务有关，因此原始满意度与归因满意度相同。"
EXPLAIN_PARTS = "{low} 条一般或不满意的评分中，"
EXPLAIN_NON_STAFF = "{n} 条与{whose}服务无关（{detail}）"
EXPLAIN_UNATTRIBUTED = "{n} 条原因不明或待审核"
EXPLAIN_UPHELD = "{n} 条申诉成立"
EXPLAIN_TAIL = "，均不计入归因满意度，因此归因满意度高于原始满意度。"
NOT_FOUND_TITLE = "未找到"
NOT_FOUND = "没有找到您要查看的客服或团队。"

# --- review queue, adjudication, agreement, accounts ----------------------------------------
PAGE_REVIEW = "审核队列"
PAGE_ADJUDICATION = "分歧裁定"
PAGE_AGREEMENT = "审核一致性"
PAGE_ACCOUNTS = "账号管理"
REVIEW_KIND_NAMES = {"uncertain": "模型不确定", "disagreement": "客户选择与模型不同", "near_threshold": "接近阈值",
                     "appeal": "申诉待裁决", "shadow": "影子版本判断不同"}
REVIEW_SOURCE_NAMES = {"model": "模型判断", "customer": "客户选择", "appeal": "申诉"}
REVIEW_OUTCOMES = {
    "decided": "已保存：原因已更新，相关客服的归因满意度随之更新。",
    "awaiting_second": "已保存：这条需要第二位审核员独立标注，一致后生效。",
    "adjudication": "已保存：两位审核员的判断不一致，已转交管理员裁定。",
    "skipped": "已跳过，这条不会再出现在您的队列中。",
}
REVIEW_REFUSALS = {
    "unknown_cause": "请选择一个原因（数字键 1–9、0 或 -）。",
    "gone": "这条已被处理或客户已修改原因，已为您显示下一条。",
    "already": "您已经标注过这一条。",
    "note_too_long": "备注太长了，请精简到500字以内。",
    "evidence_not_in_text": "标记的依据必须是客户原话中的一段（200字以内）。",
    "not_adjudicable": "这条不在待裁定列表中。",
}
REVIEW_BULK_DONE = "批量确认完成：{decided} 条已生效，{waiting} 条等待第二位审核员，{refused} 条未处理。"
ACCOUNT_DONE = "账号已更新。"
ACCOUNT_REFUSALS = {
    "bad_id": "工号不能为空、不能含空格，最多64个字符。",
    "exists": "该工号已存在。",
    "unknown": "没有找到该账号。",
    "bad_role": "角色无效。",
    "weak_password": "密码至少需要10个字符。",
    "self": "不能停用自己的账号或修改自己的角色。",
}
# --- complaint and follow-up cases --------------------------------------------------
PAGE_CASES = "投诉与跟进案件"
CASE_KIND_NAMES = {"complaint": "投诉", "followup": "跟进"}
CASE_STATUS_NAMES = {"open": "待处理", "acknowledged": "已受理", "answered": "已回复", "resolved": "已办结"}
CASE_ACTION_NAMES = {"opened": "立案", "escalated": "超时升级", "acknowledge": "受理", "answer": "回复",
                     "resolve": "办结"}
CASE_POOL_HANDLER = "全体管理员"
CASE_DONE = {"acknowledge": "已受理该案件。", "answer": "回复已保存。", "resolve": "案件已办结。"}
CASE_REFUSALS = {
    "unknown_action": "无法识别的操作，请刷新页面后重试。",
    "not_handler": "您不是这个案件的处理人，不能操作。",
    "wrong_status": "案件当前状态不允许这个操作，请刷新页面查看最新状态。",
    "empty_note": "请填写回复内容。",
    "note_too_long": "回复内容太长了，请精简到2000字以内。",
}
CASE_NO_TRANSCRIPT = "没有保存聊天记录（例如批量导入的评价）。"

# --- erasure on request and the right of access (/admin/privacy) --------------------------
PAGE_PRIVACY = "客户个人信息（查询与删除）"
PRIVACY_KIND_NAMES = {
    "ratings": "评分回复原文",
    "reasons": "不满意原因文字",
    "flags": "标记（投诉、求助等）的文字",
    "surveys": "待确认的原因文字",
    "transcript_messages": "聊天记录（条）",
    "receipts": "消息回执",
    "channel_messages": "收到的短信/微信消息",
    "outbound_messages": "发给客户的消息",
    "identities": "通话中的客户标识（号码、openid）",
}
PRIVACY_NOTHING = "没有找到与该标识有关的任何记录。请确认号码或标识是否正确（网页会话标识须与接入时完全一致）。"
PRIVACY_ALREADY = "找到 {n} 份问卷，但其中已没有该客户的文字或标识（可能已删除过）。仍可再次执行，以清除 Rasa 对话记录。"
PRIVACY_WHY_MISSING = "请填写删除理由（如客户申请的编号），并勾选确认。"
PRIVACY_WHY_TOO_LONG = "理由太长了，请精简到500字以内。"
PRIVACY_TRACKER = {
    "sql": "Rasa 对话记录（SQL 存储）：已删除 {events} 条事件，涉及 {conversations} 段对话。",
    "http": "Rasa 对话记录（内存存储，经 Rasa 接口）：已删除 {events} 条事件，涉及 {conversations} 段对话。",
    "empty": "Rasa 对话记录：没有该客户的对话。",
    "none": "Rasa 对话记录未能清除：未配置 Rasa 的 SQL 存储（RASA_TRACKER_DB_*），Rasa 接口也未开启"
            "（RASA_API_TOKEN）。内存中的记录在 Rasa 重启后消失；配置后请再次执行删除。",
    "error": "Rasa 对话记录未能清除：无法连接 Rasa 或其存储（{error}）。我们数据库中的内容已删除，请稍后再次执行删除。",
    "left": "Rasa 对话记录未能完全清除：读回时仍有内容（{way}）。请检查 Rasa 的存储配置后再次执行删除。",
}

# --- the inbox and the owners of non-staff causes -------------------------------------------------
PAGE_INBOX = "我的提醒"
INBOX_KIND_NAMES = {
    "appeal_to_decide": "待决定申诉", "appeal_decided": "申诉结果", "appeal_escalated": "申诉升级",
    "case_assigned": "新案件", "case_escalated": "案件升级", "digest": "每周摘要",
}
INBOX_ALL_READ = "已全部标为已读。"
PAGE_OWNERS = "非服务原因负责人"
OWNER_SAVED = "负责人已保存。"
OWNER_REMOVED = "负责人已移除。"
OWNER_REFUSALS = {
    "unknown_cause": "只能为非服务原因指定负责人。",
    "control_characters": "内容里有无法保存的控制字符，请删除后重试。",
    "no_department": "请填写负责部门。",
    "department_too_long": "部门名称最多64个字。",
    "bad_email": "邮箱地址格式不对，请检查（多个地址用逗号分隔）。",
    "too_many_emails": "每个原因最多填写10个邮箱。",
    "no_contact": "请至少填写一个邮箱或一个群机器人地址，否则每周摘要发不出去。",
    "bad_webhook_kind": "请选择群机器人类型（企业微信或钉钉）。",
    "bad_webhook_url": "群机器人地址应以 https:// 开头。",
    "secret_without_dingtalk": "加签密钥只适用于钉钉机器人。",
}
DELIVERY_STATUS_NAMES = {"queued": "待发送", "sent": "已发送", "failed": "发送失败", "skipped": "未配置，未发送"}
CHANNEL_NAMES = {"wecom": "企业微信群", "dingtalk": "钉钉群", "email": "邮件"}
