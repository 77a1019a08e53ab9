"""One journey in a real browser: Debian's chromium driven by Playwright.

Log in as the demo learner, add evidence with a file, tag two criteria, see the grid change.
Skipped when chromium is missing, unless REQUIRE_BROWSER=1 (as in CI), where that fails.
"""

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

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def live_server(tmp_path):
    app = create_app({"SECRET_KEY": "browser-test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "EVIDENCE_DIR": str(tmp_path / "evidence")},
                     instance_path=str(tmp_path / "instance"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert runner.invoke(args=["demo", "--password", "browser-pass-1"]).exit_code == 0
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def page(chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, args=ARGS,
            viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()


def test_learner_adds_evidence_with_a_file_tags_two_criteria_and_the_grid_changes(
        live_server, page, tmp_path):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill("learner@demo.test")
    page.get_by_label("Password").fill("browser-pass-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Progress: 8 of 17 criteria met")).to_be_visible()
    gap_24 = page.locator("#gap-2\\.4")
    expect(gap_24).to_contain_text("No evidence yet")
    columns_before = page.locator("th.ev-col").count()

    page.get_by_role("link", name="Add evidence").click()
    page.get_by_label("Title").fill("Options email to Mrs Patel")
    page.get_by_label("Evidence method").select_option(label="Product evidence")
    page.get_by_label("Account").fill("I set out **two options** for Mrs Patel.")
    attachment = tmp_path / "options-email.txt"
    attachment.write_text("Dear Mrs Patel,\nYou can choose a repair or a refund...\n")
    page.get_by_label("Attach files").set_input_files(str(attachment))
    page.get_by_role("button", name="Save evidence").click()

    expect(page.get_by_role("heading", name="Which criteria does this evidence meet?")
           ).to_be_visible()
    page.get_by_label("AC 2.4 Explain the advantages").check()
    page.get_by_label("Where and how this evidence meets AC 2.4").fill(
        "Paragraph 2 explains to the customer the pros and cons of repair and refund.")
    page.get_by_label("AC 2.5 Explain the advantages").check()
    page.get_by_label("Where and how this evidence meets AC 2.5").fill(
        "Paragraph 3 explains what each option costs the company.")
    page.get_by_role("button", name="Save claims").click()

    expect(page.get_by_role("status")).to_contain_text("tagged to 2 criteria")
    assert page.locator("th.ev-col").count() == columns_before + 1
    expect(gap_24).to_contain_text("Awaiting assessment: “Options email to Mrs Patel”.")
    expect(page.locator("#gap-2\\.5")).to_contain_text("Awaiting assessment")
    row = page.locator("tr", has=page.locator("th.crit", has_text="AC 2.4"))
    expect(row).to_contain_text("Awaiting assessment")
    page.screenshot(path=str(ARTIFACTS / "portfolio-after-tagging.png"), full_page=True)

    # The file is there and downloads through the authorised view.
    page.get_by_role("link", name="Options email to Mrs Patel").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="options-email.txt").click()
    assert Path(download.value.path()).read_text().startswith("Dear Mrs Patel")
