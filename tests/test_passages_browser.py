"""Quoting a passage in a real browser (Debian's chromium, Playwright), under the app's CSP:
the learner selects a sentence of the demo email with the keyboard and quotes it for a
criterion; the assessor sees it highlighted and jumps to it from the claim; a passage selected
on the evidence page is carried to the tagging page. Skipped without chromium, unless
REQUIRE_BROWSER=1."""

import re

import pytest
from browser_support import ARTIFACTS, BROWSER_MARKS, demo_page, sign_in

pytestmark = BROWSER_MARKS

EMAIL = "Email exchange with Mr Hughes (complaint ref NHA-20418)"
RPL = "Level 2 Customer Service certificate (RPL)"
SENTENCE = ("You chose the replacement; I have booked it and will email you when it is "
            "dispatched.")


@pytest.fixture
def page(tmp_path):
    with demo_page(tmp_path) as page:
        yield page


def open_evidence(page, title):
    page.goto(f"{page.base}/portfolios/1")
    page.get_by_role("link", name=title).first.click()


def test_a_sentence_selected_with_the_keyboard_is_quoted_and_the_assessor_sees_it(page):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, page.base, "learner@demo.test")
    open_evidence(page, EMAIL)
    page.get_by_role("link", name="Tag criteria").click()
    text = page.get_by_label("NHA-20418 email thread.eml", exact=True)
    expect(text).to_have_attribute("aria-readonly", "true")  # edits are cancelled
    # Put the caret before the sentence, then select it with Shift and the arrow keys.
    start = text.input_value().index(SENTENCE)
    text.focus()
    text.evaluate("(box, at) => box.setSelectionRange(at, at)", start)
    for _ in SENTENCE:
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.type("x")  # the text cannot be changed
    assert text.input_value()[start:start + len(SENTENCE)] == SENTENCE
    page.get_by_label("Criterion to quote it for").select_option("2.7")
    page.get_by_role("button", name="Quote this for a criterion").focus()
    page.keyboard.press("Enter")
    box = page.get_by_label("Quote from the evidence for AC 2.7 (optional)")
    expect(box).to_have_value(SENTENCE)
    expect(box).to_be_focused()
    expect(page.locator("[data-quote-said]")).to_contain_text("Quoted for AC 2.7")
    page.screenshot(path=str(ARTIFACTS / "quote-tagging.png"), full_page=True)
    page.get_by_role("button", name="Save claims").click()
    expect(page.get_by_role("status")).to_contain_text("Claims saved")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, page.base, "assessor@demo.test")
    open_evidence(page, EMAIL)
    mark = page.locator("mark.quote", has_text="You chose the replacement")
    expect(mark).to_be_visible()
    label = page.locator(".quote-label", has_text="AC 2.7")
    expect(label).to_be_visible()
    card = page.locator(".card", has=page.get_by_role("heading", name=re.compile(r"^AC 2\.7 ")))
    card.locator("a.quote-link").focus()  # the keyboard way (a click lands on its text)
    page.keyboard.press("Enter")
    assert re.search(r"#quote-\d+$", page.url)
    assert label.evaluate("el => el.matches(':target')")
    # The highlight is legible: dark text on the mark's background.
    colours = mark.evaluate("el => [getComputedStyle(el).color, "
                            "getComputedStyle(el).backgroundColor]")
    assert colours == ["rgb(11, 12, 12)", "rgb(255, 243, 168)"]
    page.screenshot(path=str(ARTIFACTS / "quote-highlighted.png"), full_page=True)


def test_a_passage_selected_on_the_evidence_page_fills_the_tagging_page(page):
    from playwright.sync_api import expect

    sign_in(page, page.base, "learner@demo.test")
    open_evidence(page, RPL)
    page.get_by_text("Show the text (to quote from)").click()
    passage = "covered customer feedback cards and satisfaction surveys"
    page.locator(".readable-text").first.evaluate("""(el, words) => {
        const node = el.firstChild, at = node.textContent.indexOf(words);
        const range = document.createRange();
        range.setStart(node, at); range.setEnd(node, at + words.length);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
    }""", passage)
    page.get_by_label("Criterion to quote it for").select_option("1.1")
    page.get_by_role("button", name="Quote this for a criterion").click()
    expect(page.get_by_role("heading", name="Which criteria does this evidence meet?")
           ).to_be_visible()
    expect(page.get_by_label("Quote from the evidence for AC 1.1 (optional)")
           ).to_have_value(passage)
    # Nothing is saved until the learner saves the claims.
    page.get_by_role("button", name="Save claims").click()
    open_evidence(page, RPL)
    expect(page.locator("mark.quote", has_text=passage)).to_be_visible()
