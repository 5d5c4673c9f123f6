"""Cost of the pure part of an SMS reply callback: guard checks, parse, replay verdict, opt-out check, acknowledgement.

    .venv/bin/python benchmarks/sms_callback_parse.py [--n 5000]

The route's budget (issue 20) is an acknowledgement p95 under 50 ms at 200
replies per second; this script shows how much of it the pure functions of
``bot.channels`` take, per provider format, on one core. The replies are a
handful of hand-written customer answers; the timing does not depend on their
wording beyond their length.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channels.callback_guard import secret_matches, source_allowed  # noqa: E402
from bot.channels.sms_inbound import ParsedCallback, ack, is_opt_out, parse_callback, replay_verdict  # noqa: E402

REPLIES = ["5", "4 还不错", "2 等了快半小时才有人接", "TD", "客服态度挺好的，就是问题没解决", "1"]
SECRET = "benchmark-callback-secret-0123456789"
ALLOWED = ["203.0.113.0/24", "198.51.100.0/24"]


def _bodies(i: int, now: datetime) -> dict[str, bytes]:
    text = REPLIES[i % len(REPLIES)]
    mobile = f"139{i % 10**8:08d}"
    beijing = (now + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "tencent": json.dumps({"extend": "", "mobile": mobile, "nationcode": "86", "sign": "客服中心", "text": text,
                               "time": int(now.timestamp())}, ensure_ascii=False).encode(),
        "aliyun": json.dumps([{"phone_number": mobile, "content": text, "send_time": beijing, "dest_code": "1234",
                               "sequence_id": 10**9 + i}], ensure_ascii=False).encode(),
        "generic": json.dumps({"messages": [{"id": f"gw-{i}", "mobile": mobile, "text": text,
                                             "received_at": now.isoformat()}]}, ensure_ascii=False).encode(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    window = {"max_age": timedelta(hours=24), "max_skew": timedelta(minutes=5)}
    print(f"{args.n} callbacks per format; per callback: secret + source check, parse, replay window, opt-out, ack")
    print("| format | p50 µs | p95 µs | p99 µs | max µs |")
    print("|---|---|---|---|---|")
    for provider in ("tencent", "aliyun", "generic"):
        bodies = [_bodies(i, now)[provider] for i in range(args.n)]
        times = []
        for body in bodies:
            t0 = time.perf_counter()
            assert secret_matches(SECRET, SECRET) and source_allowed("203.0.113.9", ALLOWED)
            parsed = parse_callback(provider, body, secret=SECRET)
            assert isinstance(parsed, ParsedCallback) and parsed.messages
            for m in parsed.messages:
                replay_verdict(m.sent_at, now, **window)
                is_opt_out(m.text)
            ack(provider, parsed)
            times.append((time.perf_counter() - t0) * 1e6)
        q = statistics.quantiles(times, n=100)
        print(f"| {provider} | {q[49]:.0f} | {q[94]:.0f} | {q[98]:.0f} | {max(times):.0f} |")


if __name__ == "__main__":
    main()
