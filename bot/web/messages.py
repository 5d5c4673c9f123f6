"""Every customer-facing Chinese text of the web layer (the dialogue's own texts live in ``domain.yml``)."""
from __future__ import annotations

MAX_MESSAGE_CHARS = 1000

BUSY = "抱歉，系统暂时有点忙，请稍后再试。"
SURVEY_NOT_FOUND = "抱歉，没有找到这次评价，链接可能已失效。"
EMPTY_MESSAGE = "请输入内容后再发送哦。"
MESSAGE_TOO_LONG = f"您的消息太长了，请精简到{MAX_MESSAGE_CHARS}字以内再发送。"
RESEND = "抱歉，您的消息没有处理成功，请稍后点击发送再试一次（内容已为您保留）。"
