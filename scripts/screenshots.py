"""Screenshots of the main pages for the README, from a running demo server.

    python scripts/screenshots.py http://127.0.0.1:5000 DEMO_PASSWORD

Needs Playwright (requirements-dev.txt) and Debian's chromium.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def sign_in(page, base, email, password):
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def main(base: str, password: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        for name, viewport in (("desktop", {"width": 1280, "height": 900}),
                               ("phone", {"width": 390, "height": 844})):
            ctx = p.chromium.launch_persistent_context(
                tempfile.mkdtemp(), executable_path="/usr/bin/chromium", args=ARGS,
                viewport=viewport)
            page = ctx.new_page()
            sign_in(page, base, "learner@demo.test", password)
            page.screenshot(path=str(OUT / f"portfolio-{name}.png"), full_page=name == "phone")
            if name == "desktop":
                page.locator("#grid-heading").scroll_into_view_if_needed()
                page.screenshot(path=str(OUT / "grid-desktop.png"))
                page.goto(f"{base}/portfolios/1/evidence/new")
                page.screenshot(path=str(OUT / "add-evidence.png"), full_page=True)
                page.goto(f"{base}/evidence/3/claims")
                page.screenshot(path=str(OUT / "claims.png"))
                page.goto(f"{base}/evidence/2")
                page.screenshot(path=str(OUT / "evidence.png"), full_page=True)
                page.goto(f"{base}/portfolios/1/unit")
                page.screenshot(path=str(OUT / "unit-rules.png"))
                page.goto(f"{base}/inbox/")
                page.screenshot(path=str(OUT / "inbox.png"))
                # The signed-off demo portfolio as its IQA sees it: what the sign-off rests on.
                page.goto(f"{base}/logout")
                page.context.clear_cookies()
                sign_in(page, base, "iqa@demo.test", password)
                page.goto(f"{base}/portfolios/3")
                page.screenshot(path=str(OUT / "signed-off.png"))
                page.locator("#rests-on-heading").scroll_into_view_if_needed()
                page.screenshot(path=str(OUT / "rests-on.png"))
            ctx.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
