"""The accessibility gate: WCAG 2.2 AA checked in the browser on every page each role reaches.

Each demo login (two learners, one of them signed off, the assessor, the IQA, the admin and
the EQA) signs in and crawls from `/`, breadth first, following same-origin <a href> links:
GET only, never sign-out or a file download, the same path and query once, at most MAX_PAGES
a role. Added to that, the pages no link leads to: the sign-in page, a wrong password, a 404,
a 403, a witness link and a dead one, an EQA invitation, the page a new IQA sample opens, the
page a new grant shows, a CSV import's preview and result, an export's page waiting, in
progress, ready and failed, two-step sign-in set up (its recovery codes, the code step of
signing in), the records past retention and an erasure's confirmation, a redaction with
nothing ticked, and forms sent empty
so that their errors show (each must have an
error summary that takes focus, a title starting "Error: " and messages naming the field).

Every page is checked at 1280 and at 320 CSS pixels wide:
- axe-core with the WCAG 2.0, 2.1 and 2.2 A and AA rules;
- at 320, WCAG 1.4.10 reflow: the page does not scroll sideways, and anything that scrolls
  inside itself is a named region the keyboard can reach (tabindex="0", role="region",
  aria-label or aria-labelledby), as the tracking grid is;
- at 1280, WCAG 1.4.11 for what axe does not measure: one or two controls of each kind are
  focused and their focus indicator must be 3:1 against its surroundings, and the border of
  every text field, select, checkbox and radio 3:1 against the background.

A keyboard-only journey adds evidence and tags a criterion with Tab, Space, Enter and typing,
checking the focus indicator of each control it passes.

One chromium, one persistent context with CSP bypassed (axe is injected into each page);
each role starts with the cookies cleared. axe-core comes from npm (package.json;
scripts/test runs `npm ci` when it is missing). Screenshots of failing pages go to
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

import pytest
from browser_support import (
    ARGS,
    ARTIFACTS,
    AXE,
    AXE_RUN,
    BROWSER_MARKS,
    TAGS,
    demo_server,
    require_chromium,
    sign_in,
)

pytestmark = BROWSER_MARKS

WIDTHS = (1280, 320)
MAX_PAGES = 150
ROLES = ["learner@demo.test", "learner3@demo.test", "assessor@demo.test", "iqa@demo.test",
         "admin@demo.test", "eqa@demo.test"]
# Not followed: signing out, anything that downloads a file.
SKIP = re.compile(r"/logout$|/files/|\.csv$|/download|/exports/\d+/(pdf|zip)$|format=(csv|pdf)")

# At a phone's width: does the page scroll sideways, and what sticks out? Does any element
# scroll sideways inside itself without being a named, focusable region?
REFLOW = """() => {
  const width = window.innerWidth;
  const path = el => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(part + '#' + e.id); break; }
      if (e.classList.length) part += '.' + Array.from(e.classList).slice(0, 2).join('.');
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  const scrolls = el => {
    const s = getComputedStyle(el).overflowX;
    return (s === 'auto' || s === 'scroll') && el.scrollWidth > el.clientWidth + 1;
  };
  const regionOk = el => el.getAttribute('tabindex') === '0' && el.getAttribute('role') === 'region'
    && (el.getAttribute('aria-label') || '').trim() !== ''
      || el.getAttribute('tabindex') === '0' && el.getAttribute('role') === 'region'
         && el.hasAttribute('aria-labelledby')
         && el.getAttribute('aria-labelledby').split(/\\s+/).every(id => document.getElementById(id));
  const all = Array.from(document.body.querySelectorAll('*'));
  const boxes = all.filter(scrolls);
  // Clipped by a scroll box: in flow inside it, or positioned against something inside it.
  const positioned = el => getComputedStyle(el).position !== 'static';
  const clippedBy = (el, box) => {
    if (!['absolute', 'fixed'].includes(getComputedStyle(el).position)) return true;
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (positioned(a)) return box.contains(a);
      if (a === box) return false;
    }
    return false;
  };
  const inside = el => boxes.some(b => b !== el && b.contains(el) && clippedBy(el, b));
  const wide = all.filter(el => !inside(el) && el.getBoundingClientRect().right > width + 1
                                && !Array.from(el.children).some(c =>
                                     c.getBoundingClientRect().right > width + 1));
  return {
    scrollWidth: document.documentElement.scrollWidth, width,
    wide: wide.slice(0, 5).map(path),
    unreachable: boxes.filter(b => !regionOk(b)).map(path)};
}"""

# Colour arithmetic for the checks axe cannot make: WCAG 1.4.11 (non-text contrast) for focus
# indicators and for the borders that show where a control is.
COLOUR_JS = """
const parse = c => {
  const m = (c || '').match(/rgba?\\(([^)]+)\\)/);
  if (!m) return null;
  const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
  return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
};
const over = (c, bg) => ({r: c.r * c.a + bg.r * (1 - c.a), g: c.g * c.a + bg.g * (1 - c.a),
                          b: c.b * c.a + bg.b * (1 - c.a), a: 1});
const lum = c => {
  const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
};
const ratio = (a, b) => {
  const x = lum(a), y = lum(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
};
const background = el => {  // the colour behind el: the first opaque background above it
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  return layers.reverse().reduce((bg, c) => over(c, bg), {r: 255, g: 255, b: 255, a: 1});
};
const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  + (el.classList.length ? '.' + Array.from(el.classList).slice(0, 3).join('.') : '')
  + (el.textContent.trim() ? ' "' + el.textContent.trim().slice(0, 30) + '"' : '');
// The focus indicator of el (focused now): its best contrast against what is around it.
const indicator = el => {
  const s = getComputedStyle(el), around = background(el.parentElement || el);
  let best = 0, how = 'none';
  if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1) {
    const c = parse(s.outlineColor);
    if (c) { best = ratio(over(c, around), around); how = 'outline ' + s.outlineColor; }
  }
  if (s.boxShadow !== 'none') {
    const c = parse(s.boxShadow);
    if (c) {
      const r = ratio(over(c, around), around);
      if (r > best) { best = r; how = 'box-shadow ' + s.boxShadow; }
    }
  }
  // A date field's calendar button has focus inside the field, which then matches only
  // :focus-within.
  const visible = el.matches(':focus-visible') || (el.matches(':focus-within') && !el.matches(':focus'));
  return {best, how, visible, what: describe(el)};
};
"""

ACTIVE_FOCUS = "() => {" + COLOUR_JS + "return indicator(document.activeElement); }"

# One or two controls of each kind on the page, focused in turn: each must show an indicator of
# 3:1 against its surroundings. Then every enabled text field, select and box: its border.
FOCUS_AND_BORDERS = "() => {" + COLOUR_JS + """
  const shown = el => { const r = el.getBoundingClientRect();
                        return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const kinds = ['btn', 'nav-link', 'navbar-brand', 'form-control', 'form-select',
                 'form-check-input', 'alert-link', 'breadcrumb-item', 'skip-link'];
  const kindOf = el => el.tagName + ':' + (kinds.find(k => el.classList.contains(k)
                                           || (el.parentElement && el.parentElement.classList.contains(k))) || '')
                       + ':' + (el.closest('.navbar') ? 'nav' : el.closest('.alert') ? 'alert' : '');
  const before = document.activeElement;
  const still = document.createElement('style');  // read the end state, not a transition
  still.textContent = '*, *::before, *::after { transition: none !important; }';
  document.head.appendChild(still);
  const counts = {}, focus = [];
  const focusable = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, '
                                              + 'textarea, summary, [tabindex="0"]');
  for (const el of focusable) {
    if (el.disabled || (!shown(el) && !el.classList.contains('skip-link'))) continue;
    const k = kindOf(el);
    if ((counts[k] = (counts[k] || 0) + 1) > 2) continue;
    el.focus({preventScroll: true});
    if (document.activeElement !== el) continue;
    const i = indicator(el);
    if (!i.visible || i.best < 3) focus.push(i);
  }
  if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
  if (before && before !== document.body && before.focus) before.focus({preventScroll: true});
  still.remove();
  const borders = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]):not([type=submit])'
                                             + ':not([type=button]):not([type=image]), select, textarea')) {
    const s = getComputedStyle(el);
    if (el.disabled || !shown(el) || s.appearance === 'auto' && ['checkbox', 'radio'].includes(el.type)) continue;
    const around = background(el.parentElement);
    const edge = parse(s.borderTopColor), fill = background(el);
    const r = Math.max(parseFloat(s.borderTopWidth) > 0 && edge ? ratio(over(edge, around), around) : 0,
                       ratio(fill, around));
    if (r < 3) borders.push({what: describe(el), border: s.borderTopColor, ratio: r});
  }
  return {focus, borders};
}"""


@dataclass
class Report:
    """Every finding, so one run lists them all."""

    checked: dict[str, dict[int, int]] = field(default_factory=dict)  # who -> width -> pages
    problems: list[str] = field(default_factory=list)
    pages: dict[str, list[str]] = field(default_factory=dict)

    def add(self, who: str, url: str, width: int, what: str) -> None:
        self.problems.append(f"[{who} @{width}px] {url}\n    {what}")


def check_page(page, who: str, report: Report, label: str | None = None) -> None:
    """axe at each width, and reflow at the narrow one; the page is left at the first width."""
    page.wait_for_load_state()  # a click that navigates returns before the stylesheets load
    url = label or page.url
    report.pages.setdefault(who, []).append(url)
    for i, width in enumerate(WIDTHS):
        problems = len(report.problems)
        if i:
            page.set_viewport_size({"width": width, "height": 800})
        counts = report.checked.setdefault(who, {})
        counts[width] = counts.get(width, 0) + 1
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        for v in page.evaluate(AXE_RUN, TAGS):
            report.add(who, url, width, f"{v['id']} ({v['impact']}): {v['help']}\n      "
                       + "\n      ".join(v["targets"][:8])
                       + (f"\n      (+{len(v['targets']) - 8} more)" if len(v["targets"]) > 8
                          else "")
                       + f"\n      {v['summary'].splitlines()[:3]}")
        if width < 600:
            flow = page.evaluate(REFLOW)
            if flow["scrollWidth"] > flow["width"] + 1:
                report.add(who, url, width, f"reflow: the page is {flow['scrollWidth']}px wide "
                           f"at {flow['width']}px; sticking out: {flow['wide']}")
            for box in flow["unreachable"]:
                report.add(who, url, width, "scroll-region: scrolls sideways but is not a "
                           f"named region with tabindex=0: {box}")
        if len(report.problems) > problems:  # a picture of the failing page, to look at
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"a11y-{len(report.problems)}-{width}px.png"),
                            full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    problems = len(report.problems)
    found = page.evaluate(FOCUS_AND_BORDERS)
    for f in found["focus"]:
        report.add(who, url, WIDTHS[0], f"focus-indicator: {f['what']}: "
                   + (f"{f['best']:.2f}:1 ({f['how']})" if f["visible"]
                      else "does not match :focus-visible when focused"))
    for b in found["borders"]:
        report.add(who, url, WIDTHS[0], f"control-border: {b['what']}: {b['border']} is "
                   f"{b['ratio']:.2f}:1 against its background")
    if len(report.problems) > problems:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"a11y-{len(report.problems)}-focus.png"))


def key(url: str) -> str:
    parts = urlsplit(urldefrag(url)[0])
    return parts.path + ("?" + "&".join(sorted(parts.query.split("&"))) if parts.query else "")


def crawl(page, base: str, who: str, report: Report, start: str = "/") -> None:
    """Check every page reachable by links from `start`, breadth first."""
    from playwright.sync_api import Error

    seen: set[str] = set()
    queue = [base + start]
    checked = 0
    while queue and checked < MAX_PAGES:
        url = queue.pop(0)
        k = key(url)
        if k in seen:
            continue
        seen.add(k)
        try:
            response = page.goto(url)
        except Error as e:  # a download the patterns above did not foresee
            if "Download is starting" not in str(e):
                raise
            continue
        landed = key(page.url)
        if landed != k:  # a redirect: check where it lands, once
            if landed in seen:
                continue
            seen.add(landed)
        if response is None or response.status >= 400:
            report.add(who, url, 0, f"HTTP {response.status if response else '?'} on a link")
        check_page(page, who, report)
        checked += 1
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            href = urldefrag(href)[0]
            if href.startswith(base) and not SKIP.search(key(href)) \
                    and key(href) not in seen:
                queue.append(href)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("a11y")


@pytest.fixture(scope="module")
def site(site_dir):
    # One export at a time per person, so that a second one shows its "waiting" page.
    with demo_server(site_dir, EXPORTS_PER_PERSON=1) as base:
        yield base


def check_export_pages(page, who, report, base, evidence_dir):
    """The export's pages in each state: waiting behind another, in progress, ready, and
    failed (a file gone from the store) with its "Start it again" button."""
    def export(portfolio_id: int) -> str:
        page.goto(f"{base}/portfolios/{portfolio_id}")
        page.get_by_role("button", name="Export the signed PDF").click()
        return page.url

    first = export(1)
    check_page(page, who, report, label=f"{base}/exports/<in progress>")
    export(2)
    if page.get_by_text("Waiting for your other export").count():
        check_page(page, who, report, label=f"{base}/exports/<waiting>")
    page.goto(first)
    page.get_by_text("The signed PDF is ready").wait_for(timeout=120_000)
    check_page(page, who, report, label=f"{base}/exports/<ready>")
    stored = [p for p in evidence_dir.rglob("*") if p.is_file() and len(p.name) == 64]
    hidden = [(p, p.with_name(p.name + ".away")) for p in stored]
    for original, away in hidden:
        original.rename(away)
    try:
        export(1)  # its files are the only ones in the demo store
        page.get_by_role("button", name="Start it again").wait_for(timeout=120_000)
        check_page(page, who, report, label=f"{base}/exports/<failed>")
    finally:
        for original, away in hidden:
            away.rename(original)


def check_retention_pages(page, who, report, base, site_dir):
    """The end of a programme recorded (its form sent empty first), then the records past
    retention and the erasure's confirmation (sent empty): Tom's portfolio (2) is made one
    enrolled and ended long ago, as imported history would be. Nothing is erased."""
    import sqlite3
    from datetime import date

    page.goto(f"{base}/admin/portfolios/2/end")
    send_empty(page, who, report, "Save the end of the programme",
               f"{base}/admin/portfolios/2/end")
    long_ago = date.today().year - 8
    with sqlite3.connect(site_dir / "db.sqlite3") as conn:
        conn.execute("UPDATE portfolio SET created_at = ? WHERE id = 2",
                     (f"{long_ago - 2}-09-01 09:00:00.000000",))
    page.goto(f"{base}/admin/portfolios/2/end")
    page.get_by_label("When the programme ended").fill(f"{long_ago}-07-31")
    page.get_by_label("Completed").check()
    page.get_by_role("button", name="Save the end of the programme").click()
    check_page(page, who, report, label=f"{base}/portfolios/2 (ended long ago)")
    visit(page, who, report, f"{base}/admin/portfolios/2/end",
          f"{base}/admin/portfolios/2/end (recorded)")
    visit(page, who, report, f"{base}/admin/retention", f"{base}/admin/retention (one due)")
    page.goto(f"{base}/admin/retention/2/erase")
    check_page(page, who, report, label=f"{base}/admin/retention/2/erase")
    send_empty(page, who, report, "Erase these records for good",
               f"{base}/admin/retention/2/erase")
    visit(page, who, report, f"{base}/admin/retention/1/erase",
          f"{base}/admin/retention/1/erase (not yet)")


@pytest.fixture(scope="module")
def browser_context(site, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    assert AXE.exists(), "axe-core is missing: run `npm ci` (scripts/test does)"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=chromium, args=ARGS,
            viewport={"width": WIDTHS[0], "height": 800}, bypass_csp=True)
        context.set_default_timeout(15_000)
        context.add_init_script(path=str(AXE))
        yield context
        context.close()


def fresh_page(context):
    """A new page with no one signed in: the role's own session starts here."""
    for p in context.pages:
        p.close()
    context.clear_cookies()
    return context.new_page()


def send_empty(page, who: str, report: Report, button: str, label: str,
               summary: bool = True) -> None:
    """Press `button` with nothing filled in, then check the page that shows the errors."""
    page.get_by_role("button", name=button, exact=True).first.click()
    page.wait_for_load_state()
    if summary:
        expect_errors_announced(page, who, report)
    check_page(page, who, report, label=f"{label} (sent empty)")


def expect_errors_announced(page, who: str, report: Report) -> None:
    """An error summary, focused on load, a title that starts with "Error: ", and messages
    that name their field."""
    url = page.url
    if not page.locator("#error-summary").count():
        report.add(who, url, 0, "no #error-summary after sending the form empty")
        return
    if not page.title().startswith("Error: "):
        report.add(who, url, 0, f"title does not start with 'Error: ': {page.title()!r}")
    if page.evaluate("document.activeElement && document.activeElement.id") != "error-summary":
        report.add(who, url, 0, "the error summary is not focused on load")
    generic = page.locator("#error-summary li", has_text="This field is required.")
    if generic.count():
        report.add(who, url, 0, "errors that do not name their field: "
                   f"{generic.count()} × 'This field is required.'")


def visit(page, who: str, report: Report, url: str, label: str | None = None,
          status: int | None = None) -> None:
    response = page.goto(url)
    if status is not None:
        assert response.status == status, f"{url}: {response.status}, not {status}"
    check_page(page, who, report, label=label)


def check_two_step_pages(context, report: Report, base: str) -> None:
    """Two-step sign-in, set up by a learner the crawls leave alone (learner2): the set-up
    page and its error, the recovery codes, the account page with it on and its two forms'
    errors, then the code step of the next sign-in and its error. Done before the crawls, so
    the admin's account list shows someone with it on (and the button to reset it)."""
    import pyotp

    who = "learner2@demo.test"
    page = fresh_page(context)
    sign_in(page, base, who)
    visit(page, who, report, f"{base}/account/two-step")
    send_empty(page, who, report, "Turn on two-step sign-in", f"{base}/account/two-step")
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    check_page(page, who, report, label=f"{base}/account/two-step (recovery codes)")
    recovery = page.locator("ol.recovery-codes code").first.inner_text()
    visit(page, who, report, f"{base}/account", f"{base}/account (two-step on)")
    send_empty(page, who, report, "Make new recovery codes", f"{base}/account (new codes)")
    page.goto(f"{base}/account")
    send_empty(page, who, report, "Turn off two-step sign-in", f"{base}/account (turn off)")
    page = fresh_page(context)
    sign_in(page, base, who)
    page.wait_for_url(f"{base}/login/code")
    check_page(page, who, report, label=f"{base}/login/code")
    send_empty(page, who, report, "Continue", f"{base}/login/code")
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Continue").click()
    check_page(page, who, report, label=f"{base}/login/code (a recovery code used)")


def test_every_page_of_every_role_meets_wcag_22_aa(site, site_dir, browser_context, tmp_path):
    started = time.monotonic()
    report = Report()
    base = site

    # No one signed in: sign-in page, its errors, a 404, a witness link that does not work.
    page = fresh_page(browser_context)
    visit(page, "anonymous", report, f"{base}/login")
    send_empty(page, "anonymous", report, "Sign in", f"{base}/login")
    page.get_by_label("Email address").fill("learner@demo.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    check_page(page, "anonymous", report, label=f"{base}/login (wrong password)")
    visit(page, "anonymous", report, f"{base}/no-such-page", f"{base}/no-such-page (404)", 404)
    visit(page, "anonymous", report, f"{base}/witness/not-a-token", f"{base}/witness/<unknown>")

    # A witness asked by the learner, the link made by the assessor (email is off) and
    # followed with no account; and the same link opened while signed in.
    sign_in(page, base, "learner@demo.test")
    page.goto(f"{base}/portfolios/1/witnesses/new")
    page.get_by_label("Witness’s full name").fill("Sam Carter")
    page.get_by_label("Their email address").fill("sam.carter@northgate.example")
    page.get_by_label("Their job title").fill("Team leader")
    page.get_by_label("How they know your work").fill("My line manager")
    page.get_by_label("What they saw, and which criteria").fill("The Okafor complaint.")
    page.get_by_role("button", name="Ask the witness").click()
    check_page(page, "learner@demo.test", report, label=f"{base}/witness asked")
    page = fresh_page(browser_context)
    sign_in(page, base, "assessor@demo.test")
    page.goto(f"{base}/portfolios/1")
    page.get_by_role("button", name="Make the link to pass on for Sam Carter").click()
    check_page(page, "assessor@demo.test", report, label=f"{base}/witness link to pass on")
    link = page.get_by_label("Link for Sam Carter").input_value()
    visit(page, "assessor@demo.test", report, link, f"{base}/witness/<token> (signed in)",
          403)
    page = fresh_page(browser_context)
    visit(page, "witness", report, link, f"{base}/witness/<token>")
    send_empty(page, "witness", report, "Sign and send", f"{base}/witness/<token>")
    # Signed, so the crawls below meet the statement's page: the assessor's verification
    # form and the flags to check (signed within minutes of the request).
    page.get_by_label("What you saw").fill("I heard Priya follow our complaints procedure.")
    page.get_by_label("Line manager").check()
    page.get_by_label("I am not a relative of the learner").check()
    page.get_by_label("Phone number or email for checking").fill("0113 496 0000")
    page.get_by_label("Type your full name to sign").fill("Sam Carter")
    page.get_by_label("I confirm this statement is true and that I wrote it").check()
    page.get_by_role("button", name="Sign and send").click()
    check_page(page, "witness", report, label=f"{base}/witness/<token> signed")

    check_two_step_pages(browser_context, report, base)

    for who in ROLES:
        page = fresh_page(browser_context)
        sign_in(page, base, who)
        crawl(page, base, who, report)
        # What only a form shows: its errors, and the pages a POST leads to.
        if who == "learner@demo.test":
            for path, button in [("/portfolios/1/evidence/new", "Save evidence"),
                                 ("/portfolios/1/witnesses/new", "Ask the witness")]:
                page.goto(base + path)
                send_empty(page, who, report, button, base + path)
            visit(page, who, report, f"{base}/admin/", f"{base}/admin/ (403)", 403)
            # The personal data found in evidence 1, nothing ticked: the refusal and its summary.
            page.goto(f"{base}/evidence/1")
            for box in page.locator("input[name=redact]").all():
                box.uncheck()
            send_empty(page, who, report, "Redact these", f"{base}/evidence/1 redaction")
        if who == "assessor@demo.test":
            path = "/portfolios/1/records/new/direct_observation"
            page.goto(base + path)
            send_empty(page, who, report, "Save the record", base + path)
            page.goto(f"{base}/evidence/1")  # a decision without a choice: the error inline
            send_empty(page, who, report, "Record decision", f"{base}/evidence/1 decision",
                       summary=False)
            check_export_pages(page, who, report, base, site_dir / "evidence")
            # The caseload's search (shown once searched, or past ten portfolios).
            visit(page, who, report, f"{base}/portfolios/?q=Priya&sort=name",
                  f"{base}/portfolios/ (searched)")
            visit(page, who, report, f"{base}/portfolios/?q=nobody",
                  f"{base}/portfolios/ (no match)")
        if who == "iqa@demo.test":
            page.goto(f"{base}/verify")
            send_empty(page, who, report, "Check the file", f"{base}/verify")
            page.goto(f"{base}/portfolios/1")  # an interim sample: the form to record it
            page.get_by_role("button", name="Sample this portfolio (IQA)").click()
            check_page(page, who, report, label=f"{base}/quality/samples/<new>")
            send_empty(page, who, report, "Record the sample", f"{base}/quality/samples/<new>")
        if who == "admin@demo.test":
            for path, button in [("/admin/users/new", "Create account"),
                                 ("/admin/eqa", "Grant access and make the invitation"),
                                 ("/admin/import", "Upload and preview")]:
                page.goto(base + path)
                send_empty(page, who, report, button, base + path)
            # A CSV import: its preview (a row ready, a row with problems) and its result.
            page.goto(f"{base}/admin/import")
            page.get_by_label("CSV file of learners").set_input_files(files=[{
                "name": "learners.csv", "mimeType": "text/csv",
                "buffer": b"name,email,unit\nNadia Hussain,nadia@college.example,\n"
                          b"Owen Price,owen@college.example,unit-99\n"}])
            page.get_by_role("button", name="Upload and preview").click()
            check_page(page, who, report, label=f"{base}/admin/import/<preview>")
            page.get_by_role("button", name="Import the 1 ready row and skip the 1 with "
                             "problems").click()
            check_page(page, who, report, label=f"{base}/admin/import/<done>")
            page.goto(f"{base}/admin/eqa")  # a grant for a new EQA, and their invitation
            page.get_by_label("EQA's full name").fill("Sam Okafor")
            page.get_by_label("EQA's email address").fill("sam.okafor@awarding.example")
            page.locator("input[name=portfolios]").first.check()
            page.get_by_role("button", name="Grant access and make the invitation").click()
            check_page(page, who, report, label=f"{base}/admin/eqa (granted)")
            invitation = page.get_by_label("Invitation link").input_value()
            check_retention_pages(page, who, report, base, site_dir)
            page = fresh_page(browser_context)
            visit(page, "invited EQA", report, invitation, f"{base}/eqa/invitation/<token>")
            send_empty(page, "invited EQA", report, "Set password",
                       f"{base}/eqa/invitation/<token>")

    elapsed = time.monotonic() - started
    summary = "; ".join(f"{who}: " + ", ".join(f"{n} at {w}px" for w, n in counts.items())
                        for who, counts in report.checked.items())
    print(f"\naccessibility gate: {summary}; {elapsed:.0f}s")
    listing = tmp_path / "accessibility-pages.txt"
    listing.write_text("\n".join(f"{who}\n  " + "\n  ".join(urls)
                                 for who, urls in report.pages.items()) + "\n")
    print(f"pages checked: {listing}")
    for who in ROLES:
        assert report.checked.get(who, {}).get(WIDTHS[0], 0) >= 3, f"{who} reached too few pages"
    assert not report.problems, (f"{len(report.problems)} accessibility problems ({summary}):\n"
                                 + "\n".join(report.problems))


def keyboard(page):
    """A `tab_to(predicate)` for this page: press Tab until the focused element satisfies the
    JS predicate, checking on the way that every focused control shows a 3:1 indicator."""
    seen: list[str] = []

    def tab_to(matches, limit=120, back=False):
        for _ in range(limit):
            page.keyboard.press("Shift+Tab" if back else "Tab")
            focus = page.evaluate(ACTIVE_FOCUS)
            seen.append(focus["what"])
            assert focus["how"] != "none", f"no focus indicator on {focus['what']}"
            assert focus["visible"], f"{focus['what']} does not match :focus-visible"
            assert focus["best"] >= 3, (f"focus indicator on {focus['what']} is "
                                        f"{focus['best']:.2f}:1 ({focus['how']})")
            if page.evaluate(f"(el => {matches})(document.activeElement)"):
                return
        raise AssertionError(f"never reached {matches}; focus went through {seen[-limit:]}")
    return tab_to


def test_a_learner_adds_and_tags_evidence_with_the_keyboard_alone(site, browser_context):
    """Tab, Space, Enter and typing only, from the portfolio page to the tagged evidence; every
    control that takes focus on the way shows a focus indicator of 3:1 or more."""
    from playwright.sync_api import expect

    base = site
    page = fresh_page(browser_context)
    sign_in(page, base, "learner@demo.test")  # signing in is not part of this journey
    page.goto(f"{base}/portfolios/1")
    tab_to = keyboard(page)

    tab_to("el.tagName === 'A' && el.textContent.trim() === 'Add evidence'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add evidence")).to_be_visible()
    tab_to("el.id === 'title'")
    page.keyboard.type("Keyboard-only note to Mrs Patel")
    tab_to("el.id === 'method'")
    for _ in range(8):
        if page.locator("#method").input_value() == "product_evidence":
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("#method").input_value() == "product_evidence"
    tab_to("el.id === 'account_md'")
    page.keyboard.type("I set out two options for Mrs Patel: a repair or a refund.")
    tab_to("el.id === 'ai_answer-0'")  # "No, I did not use AI tools": Space chooses it
    page.keyboard.press("Space")
    assert page.locator("#ai_answer-0").is_checked()
    tab_to("el.type === 'submit' && el.value === 'Save evidence'")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Which criteria does this evidence meet?")
           ).to_be_visible()
    tab_to("el.id === 'claim_2_4'")
    page.keyboard.press("Space")
    assert page.locator("#claim_2_4").is_checked()
    # Ticking opens the "where and how" box and moves focus into it (static/app.js).
    assert page.evaluate("document.activeElement.id") == "rationale_2_4"
    focus = page.evaluate(ACTIVE_FOCUS)
    assert focus["best"] >= 3, f"focus indicator on the rationale box: {focus}"
    page.keyboard.type("Paragraph 2 explains the pros and cons of repair and refund.")
    tab_to("el.type === 'submit' && el.value === 'Save claims'")
    page.keyboard.press("Space")
    expect(page.get_by_role("status")).to_contain_text("tagged to 1 criterion")
    expect(page.locator("#gap-2\\.4")).to_contain_text("Awaiting assessment")


def test_an_assessor_judges_a_claim_with_the_keyboard_alone(site, browser_context):
    from playwright.sync_api import expect

    page = fresh_page(browser_context)
    sign_in(page, site, "assessor@demo.test")
    page.goto(f"{site}/portfolios/1")
    tab_to = keyboard(page)
    tab_to("el.tagName === 'A' && el.textContent.includes('Email exchange with Mr Hughes')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Email exchange with Mr Hughes"))
           ).to_be_visible()
    tab_to("el.type === 'radio' && el.value === 'accepted'")  # the claim awaiting: AC 2.7
    page.keyboard.press("Space")
    tab_to("el.type === 'submit' && el.value === 'Record decision'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Decision recorded for AC 2.7: accepted")


def test_an_iqa_samples_a_portfolio_with_the_keyboard_alone(site, browser_context):
    from playwright.sync_api import expect

    page = fresh_page(browser_context)
    sign_in(page, site, "iqa@demo.test")
    page.goto(f"{site}/portfolios/1")
    tab_to = keyboard(page)
    tab_to("el.tagName === 'BUTTON' && el.textContent.includes('Sample this portfolio')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="The assessor’s decisions", exact=False)
           ).to_be_visible()
    tab_to("el.id === 'agree-rest'")
    page.keyboard.press("Space")
    tab_to("el.type === 'radio' && el.value === 'upheld'")
    page.keyboard.press("Space")
    tab_to("el.id === 'feedback'")
    page.keyboard.type("Sound decisions, clearly fed back.")
    tab_to("el.type === 'submit' && el.textContent.includes('Record the sample')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Sample recorded")
