"""What the conversation gateway itself says to a customer, on any channel (the dialogue's own texts live in ``domain.yml``)."""
from __future__ import annotations

MAX_MESSAGE_CHARS = 1000

BUSY = "抱歉，系统暂时有点忙，请稍后再试。"
SURVEY_NOT_FOUND = "抱歉，没有找到这次评价，链接可能已失效。"
EMPTY_MESSAGE = "请输入内容后再发送哦。"
MESSAGE_TOO_LONG = f"您的消息太长了，请精简到{MAX_MESSAGE_CHARS}字以内再发送。"
RESEND = "抱歉，您的消息没有处理成功，请稍后点击发送再试一次（内容已为您保留）。"
TOO_FAST = "您发送得太快了，请稍等片刻再发送。"

# One-line notices of a closed survey, shown under its history (by survey status).
CLOSED_NOTICES = {
    "completed": "本次评价已完成，感谢您的参与！",
    "closed_no_score": "本次评价已结束，感谢您的回复。",
    "expired": "本次评价已超过有效时间，不再计入评分。",
    "opted_out": "您已退订服务评价，今后不会再收到评价邀请。如需恢复，请回复“重新订阅”。",
}

#: Responses of the dialogue core that the gateway renders itself, for turns it runs without Rasa (an opted-out
#: survey: the customer asked for silence, so nothing they write goes to Rasa's tracker). Same text as ``domain.yml``.
OPTED_BACK_IN = "好的，已为您恢复服务评价邀请，下次通话后我们会再请您评价。本次评价已经结束。"
RESPONSES = {"utter_opted_back_in": OPTED_BACK_IN}
