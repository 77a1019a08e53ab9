"""What the browser tests share: Debian's chromium, the flags it runs with, and a live server
with the demo centre seeded (test_browser.py, test_accessibility.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portfolio import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DEMO_PASSWORD = "browser-pass-1"
# axe-core from npm (package.json) and the rules the accessibility gate runs: WCAG 2.0, 2.1
# and 2.2, A and AA. AXE_RUN, evaluated with TAGS, gives the page's violations.
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
    summary: v.nodes.length ? v.nodes[0].failureSummary : ''}));
}"""


BROWSER_MARKS = [
    pytest.mark.browser,
    # When chromium moves to the next page while the werkzeug test server is still streaming
    # a static file (bootstrap.min.css), the server thread drops the response without closing
    # the file: a ResourceWarning in the server, not in the app, and only now and then.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def require_chromium() -> str:
    """The chromium to drive; skips the test when it is missing, unless REQUIRE_BROWSER=1."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@contextlib.contextmanager
def demo_server(tmp_path: Path, port: int = 0, **settings):
    """A werkzeug server on 127.0.0.1 serving the demo centre (every demo login has the
    password DEMO_PASSWORD; evidence files in tmp_path/evidence); yields its base URL. The
    port is a free one unless given (a test that must know it first: test_oidc.py)."""
    app = create_app({"SECRET_KEY": "browser-test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "EVIDENCE_DIR": str(tmp_path / "evidence"),
                      "EXPORT_DIR": str(tmp_path / "exports"), **settings},
                     instance_path=str(tmp_path / "instance"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert runner.invoke(args=["demo", "--password", DEMO_PASSWORD]).exit_code == 0
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def sign_in(page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@contextlib.contextmanager
def demo_page(tmp_path: Path, timeout_ms: int = 15_000, **context_options):
    """A chromium page on a fresh demo server (demo_server), with `page.base` its URL and
    `page.tmp` the test's folder; on leaving, fails if the app's CSP blocked anything the
    page tried (a script of ours breaking under the policy)."""
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    with demo_server(tmp_path) as base, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, args=ARGS,
            viewport={"width": 1280, "height": 900}, **context_options)
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.base, page.tmp = base, tmp_path
        yield page
        context.close()
        assert not [e for e in errors if "Content Security Policy" in e], errors
