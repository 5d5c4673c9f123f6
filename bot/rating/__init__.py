"""Rating parser for replies to the post-call 1-5 satisfaction question."""
from bot.rating.parser import ParsedReply, parse_reply

__all__ = ["ParsedReply", "parse_reply"]
