"""The pages keep working under the Content-Security-Policy, in a real Chromium.

Chromium enforces the CSP the web app sends; a blocked inline script, style
or remote asset shows up as a console error ("Refused to …"), which these
tests collect and assert absent.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_docs_render_from_local_assets_with_the_authorize_button(chromium, web_only):
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = ctx.new_page()
        errors = _console_errors(page)
        remote: list[str] = []
        page.on("request", lambda req: remote.append(req.url) if not req.url.startswith(web_only.url) else None)
        page.goto(f"{web_only.url}/docs")
        page.locator('.opblock-summary-path[data-path="/api/calls"]').wait_for(timeout=30_000)
        authorize = page.locator("button.authorize")
        assert authorize.is_visible()
        authorize.click()
        assert page.locator(".auth-container", has_text="HTTPBearer").first.is_visible()
        assert not [e for e in errors if "Refused" in e or "Content Security Policy" in e], errors
        assert remote == [], remote  # nothing from a CDN
    finally:
        ctx.close()


def test_chat_page_runs_its_script_under_the_policy(phone, web_only):
    page = phone()
    errors = _console_errors(page)
    response = page.goto(f"{web_only.url}/s/{web_only.new_survey()}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # chat.js ran: it asked the (unreachable) engine and shows the busy message as a bot reply.
    page.locator(".row.bot .bubble").first.wait_for(timeout=30_000)
    assert not [e for e in errors if "Refused" in e or "Content Security Policy" in e], errors
    assert page.errors == []
