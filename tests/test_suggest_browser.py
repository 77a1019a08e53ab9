"""A suggestion taken all the way in a real browser (Debian's chromium, Playwright): the demo
learner asks for suggestions on her reflective account, uses one in a claim, words it and
saves; the assessor sees the quoted passage highlighted under the criterion and the signed
PDF prints the quote under the claim. The suggestions page passes axe-core at a desktop's and
a phone's width. Skipped without chromium, unless REQUIRE_BROWSER=1."""

import re
import time
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, AXE, AXE_RUN, BROWSER_MARKS, TAGS, demo_page, sign_in

pytestmark = BROWSER_MARKS

ACCOUNT = "Reflective account: refund complaint about a faulty kettle"


@pytest.fixture
def page(tmp_path):
    with demo_page(tmp_path, timeout_ms=20_000, accept_downloads=True) as page:
        yield page


def axe_violations(page) -> list[dict]:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (a script
    # tag would be refused, as it should be).
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    return page.evaluate(AXE_RUN, TAGS)


def open_account(page):
    page.goto(f"{page.base}/portfolios/1")
    page.get_by_role("link", name=ACCOUNT).first.click()


def first_unclaimed(page):
    """The first suggestion card under "Most likely" that offers "Use this in a claim"."""
    best = page.locator("section[aria-labelledby=best-heading] li.card")
    for n in range(best.count()):
        card = best.nth(n)
        if card.get_by_role("link", name=re.compile("^Use this in a claim")).count():
            return card
    raise AssertionError("no unclaimed suggestion among the most likely")


def test_a_suggestion_becomes_a_claim_the_assessor_sees_highlighted_and_the_pdf_prints(page):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, page.base, "learner@demo.test")
    open_account(page)
    started = time.perf_counter()
    page.get_by_role("link", name="Suggest criteria").click()
    expect(page.get_by_role("heading", name="Suggested criteria", exact=True)).to_be_visible()
    took = time.perf_counter() - started
    print(f"suggestions page: {took * 1000:.0f} ms (first ranking of this item)")
    expect(page.get_by_text("These are suggestions only")).to_be_visible()
    expect(page.get_by_text("How these were ranked:")).to_be_visible()
    # The criteria the demo claims are shown as claimed already, with no way to claim again.
    claimed = page.locator("li.card", has=page.get_by_text("Claimed already"))
    assert claimed.count() >= 4
    card = first_unclaimed(page)
    heading = card.get_by_role("heading").inner_text()
    criterion = re.match(r"AC (\d\.\d+) · (Strong|Some) match", heading)
    assert criterion, heading
    cid = criterion.group(1)
    quote = card.locator("blockquote").first.inner_text().strip("“”")
    assert len(quote) > 20
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == [], width
        page.screenshot(path=str(ARTIFACTS / f"suggestions-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    card.get_by_role("link", name=f"Use this in a claim for AC {cid}").click()
    expect(page.get_by_role("heading", name="Which criteria does this evidence meet?")
           ).to_be_visible()
    expect(page.get_by_label(f"AC {cid}", exact=False).first).to_be_checked()
    box = page.get_by_label(f"Quote from the evidence for AC {cid} (optional)")
    best = box.input_value()
    assert best and best in quote or quote.startswith(best[:40])
    # Nothing is claimed for the learner: the rationale is hers to write, and saving without
    # it is refused with what she chose kept.
    why = page.get_by_label(f"Where and how this evidence meets AC {cid}")
    expect(why).to_have_value("")
    page.get_by_role("button", name="Save claims").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label(f"Quote from the evidence for AC {cid} (optional)")
           ).to_have_value(best)
    page.get_by_label(f"Where and how this evidence meets AC {cid}").fill(
        "The sentence quoted is where I explain this in my own account.")
    page.get_by_role("button", name="Save claims").click()
    expect(page.get_by_role("status")).to_contain_text("Claims saved")
    page.goto(f"{page.base}/evidence/1/suggestions")
    expect(page.locator(f"#s-{cid.replace('.', '-')}")).to_contain_text("Claimed already")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, page.base, "assessor@demo.test")
    open_account(page)
    label = page.locator(".quote-label", has_text=f"AC {cid}")
    expect(label).to_be_visible()
    mark = page.locator("mark.quote", has_text=best[:30])
    expect(mark).to_be_visible()
    claim = page.locator(".card", has=page.get_by_role(
        "heading", name=re.compile(rf"^AC {re.escape(cid)} ")))
    expect(claim).to_contain_text("The sentence quoted is where I explain this")
    page.screenshot(path=str(ARTIFACTS / "suggestion-claim-assessor.png"), full_page=True)

    page.goto(f"{page.base}/portfolios/1")
    page.get_by_role("button", name="Export the signed PDF").click()
    link = page.get_by_role("link", name="Download the signed PDF")
    deadline = time.monotonic() + 180
    while not link.count() and time.monotonic() < deadline:  # the export runs in-process
        time.sleep(1)
        page.reload()
    with page.expect_download() as download:
        link.click()
    pdf = page.tmp / "portfolio.pdf"
    download.value.save_as(pdf)
    printed = pdf_text(pdf)
    assert f"AC {cid}" in printed
    assert folded(best)[:60] in printed


def folded(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split())


def pdf_text(path: Path) -> str:
    """The PDF's text, its line breaks and spaces folded to single spaces."""
    from pypdf import PdfReader

    return folded(" ".join(p.extract_text() or "" for p in PdfReader(path).pages))
