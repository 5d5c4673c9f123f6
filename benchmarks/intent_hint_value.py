"""What Rasa's intent still decides: messages whose complaint flag changes with and without the intent hint.

The dialogue core uses Rasa's NLU result in one place: ``bot.dialogue.cues.is_complaint``
also flags a message when the intent is ``complain`` with confidence ≥ 0.85
and the text carries words of dissatisfaction. This sends every customer
message of the end-to-end conversation set (``tests/e2e/conversations.yml``)
and of the NLU training data to the real Rasa server's ``/model/parse`` and
counts the messages whose flag differs between "with the hint" and "without".
If none differs on the conversation set, the hint changes no outcome there.

Usage: .venv/bin/python benchmarks/intent_hint_value.py
"""
from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.dialogue.cues import is_complaint  # noqa: E402
from bot.settings import ROOT  # noqa: E402
from bot.stack import Stack  # noqa: E402


def conversation_texts() -> list[str]:
    data = yaml.safe_load((ROOT / "tests" / "e2e" / "conversations.yml").read_text())
    return [t for c in data for t in c["turns"] if not t.startswith("@")]


def nlu_texts() -> list[str]:
    data = yaml.safe_load((ROOT / "nlu" / "nlu.yml").read_text())
    return [line[2:].strip() for item in data["nlu"] if "intent" in item
            for line in item["examples"].splitlines() if line.startswith("- ")]


def main() -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/hint.db"
    with Stack(database_url=url, log_dir=Path(tempfile.mkdtemp()) / "log",
               extra_env={"RASA_API_TOKEN": secrets.token_urlsafe(24)}) as stack:
        with httpx.Client(timeout=30) as client:
            for name, texts in (("conversation set", conversation_texts()), ("NLU training data", nlu_texts())):
                changed = []
                for text in texts:
                    r = client.post(f"{stack.rasa_url}/model/parse", json={"text": text},
                                    params={"token": stack.rasa_api_token})
                    intent = r.json()["intent"]
                    with_hint = is_complaint(text, intent.get("name"), float(intent.get("confidence") or 0))
                    if with_hint != is_complaint(text):
                        changed.append((text, intent.get("name"), round(float(intent.get("confidence") or 0), 3)))
                print(f"{name}: {len(texts)} messages, complaint flag changed by the intent hint: {len(changed)}")
                for item in changed[:20]:
                    print("   ", item)


if __name__ == "__main__":
    main()
