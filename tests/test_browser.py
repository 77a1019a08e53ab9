"""Journeys in a real browser: Debian's chromium driven by Playwright.

The learner adds evidence with a file, tags two criteria and sees the grid change; the
assessor takes the demo learner from halfway to ready for sign-off, through a referral,
a revision, records the learner confirms, and decisions on the resubmission.
Skipped when chromium is missing, unless REQUIRE_BROWSER=1 (as in CI), where that fails.
"""

import re
from pathlib import Path

import pytest
from browser_support import (
    ARGS,
    ARTIFACTS,
    BROWSER_MARKS,
    demo_server,
    require_chromium,
    sign_in,
)

pytestmark = BROWSER_MARKS


@pytest.fixture
def chromium():
    return require_chromium()


@pytest.fixture
def live_server(tmp_path):
    with demo_server(tmp_path) as base:
        yield base


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
    expect(page.get_by_role("heading", name="Progress: 6 of 17 criteria met")).to_be_visible()
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
    page.get_by_label("No, I did not use AI tools").check()
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

    expect(notice(page)).to_contain_text("tagged to 2 criteria")
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


def notice(page):
    """The message the app flashes after an action (a page may have other live regions)."""
    return page.locator("div.alert[role=status]").first


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def open_evidence(page, base, title):
    page.goto(f"{base}/portfolios/1")
    page.get_by_role("link", name=title).first.click()


def decide(page, criterion, outcome, feedback=""):
    """Record a decision on one claim card of the evidence page."""
    card = page.locator(".card", has=page.get_by_role(
        "heading", name=re.compile(rf"^AC {re.escape(criterion)} ")))
    if card.locator("summary").count():  # a decided claim: the form is folded away
        card.locator("summary").click()
    card.get_by_label("Accept: this evidence meets the criterion" if outcome == "accepted"
                      else "Refer: something is missing").check()
    if feedback:
        card.get_by_label("Feedback to the learner").fill(feedback)
    card.get_by_role("button", name="Record decision").click()


def record(page, base, kind, fields, criteria, channels=()):
    page.goto(f"{base}/portfolios/1")
    page.get_by_role("link", name=f"Record a {kind}").click()
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    for criterion, notes in criteria.items():
        page.get_by_label(re.compile(rf"^AC {re.escape(criterion)} ")).check()
        page.get_by_label(f"What you saw or heard for AC {criterion}").fill(notes)
    for criterion, channel in channels:  # the range items the assessor saw
        page.locator(f"#range_{criterion.replace('.', '_')}-{channel}").check()
    page.get_by_role("button", name="Save the record").click()


REFLECTIVE = "Reflective account: refund complaint about a faulty kettle"


def test_assessor_takes_the_demo_learner_from_halfway_to_ready_for_sign_off(live_server, page):
    """Refer one claim, accept another; the learner revises and resubmits; the assessor sees
    what changed and accepts; observation and discussion records fill the last gaps; the
    learner confirms them; the portfolio is ready for sign-off for both of them."""
    from playwright.sync_api import expect

    base = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, base, "assessor@demo.test")
    expect(page.get_by_role("heading", name="My learners")).to_be_visible()
    first = page.locator("table.caseload tbody tr").first
    expect(first).to_contain_text("Priya Shah")
    expect(first).to_contain_text("6 of 17")

    open_evidence(page, base, "Email exchange with Mr Hughes (complaint ref NHA-20418)")
    decide(page, "2.7", "accepted")
    expect(notice(page)).to_contain_text("Decision recorded for AC 2.7: accepted")
    open_evidence(page, base, REFLECTIVE)
    decide(page, "2.2", "referred", "Say how you kept ownership of the case until it closed.")
    expect(page.locator(".card").filter(has_text="Say how you kept ownership").first
           ).to_be_visible()

    record(page, base, "direct observation",
           {"Start time": "10:30", "Duration in minutes": "25",
            "Place": "Northgate contact centre, complaints desk",
            "What the learner did": "Priya dealt with Mrs Okafor's complaint about a dented "
                                    "washing machine."},
           {"2.1": "Confirmed the dent, its cause (the courier) and the week without a machine.",
            "2.2": "Owned the case and called back by 3pm as promised.",
            "2.3": "Acknowledged her frustration on the phone before explaining anything.",
            "2.4": "Explained repair versus replacement to the customer.",
            "2.5": "Explained to her team leader why a replacement cost less.",
            "2.9": "Followed the data protection check and the complaints procedure."},
           channels=[("2.3", "telephone")])
    expect(notice(page)).to_contain_text("asked to confirm it is accurate")
    record(page, base, "professional discussion",
           {"Duration in minutes": "30",
            "Questions asked": "1. How do you monitor complaints?\n2. What prompts a review?\n"
                               "3. What happens if we admit liability?",
            "Summary of the learner’s answers": "Priya compared surveys, feedback cards and "
                                                "complaint trends."},
           {"1.1": "Compared surveys, feedback cards and complaint logs.",
            "1.2": "Repeat faults and delivery complaints prompt a service review.",
            "1.7": "Admitting liability brings compensation costs and legal duties."})
    # The out-of-date certificate is withdrawn rather than left awaiting: the discussion
    # covers 1.1, and sign-off needs every claim judged or withdrawn.
    open_evidence(page, base, "Level 2 Customer Service certificate (RPL)")
    page.get_by_text("Withdraw the claim of AC 1.1 instead").click()
    page.get_by_label("Why you are withdrawing this claim").fill(
        "Older than the 24-month window; the professional discussion covers AC 1.1.")
    page.get_by_role("button", name="Withdraw the claim").click()
    expect(notice(page)).to_contain_text("counts for nothing")
    sign_out(page)

    # The learner hears of it all, confirms both records and answers the referrals.
    sign_in(page, base, "learner@demo.test")
    expect(page.get_by_role("link", name=re.compile(r"^Inbox \d+ new$"))).to_be_visible()
    page.get_by_role("link", name=re.compile("^Inbox")).click()
    expect(page.locator(".inbox")).to_contain_text(
        "referred AC 2.2 on “Reflective account: refund complaint about a faulty kettle”")
    for title in ("Direct observation", "Professional discussion"):
        open_evidence(page, base, re.compile(f"^{title}"))
        page.get_by_label("Yes: I confirm this is an accurate record").check()
        page.get_by_role("button", name="Send my answer").click()
        expect(notice(page)).to_contain_text("you confirmed the record")
    open_evidence(page, base, REFLECTIVE)
    page.get_by_role("link", name="Revise and resubmit", exact=True).click()
    expect(page.locator(".alert-warning")).to_contain_text("AC 2.2: Say how you kept ownership")
    account = page.get_by_label("Account")
    account.fill(account.input_value() + "\n\nI escalate to my team leader when a customer "
                 "wants more than a £150 refund or mentions the ombudsman.")
    page.get_by_label("What you changed, for your assessor").fill(
        "Added the last paragraph on when I escalate.")
    page.get_by_role("button", name="Save and resubmit").click()
    expect(notice(page)).to_contain_text("Saved as version 2 and resubmitted")
    sign_out(page)

    # The assessor sees what changed, judges the resubmission, and the portfolio is ready.
    sign_in(page, base, "assessor@demo.test")
    expect(page.locator("table.caseload tbody tr").first).to_contain_text("resubmitted")
    open_evidence(page, base, REFLECTIVE)
    changes = page.locator("section", has=page.get_by_role(
        "heading", name="Changed since the last decision: version 1 → 2"))
    expect(changes).to_contain_text("Added the last paragraph on when I escalate.")
    expect(changes.locator(".diff-added")).to_contain_text("I escalate to my team leader")
    for criterion in ("1.3", "1.4", "1.5", "1.6", "1.8", "2.2"):
        decide(page, criterion, "accepted")
        expect(notice(page)).to_contain_text(f"AC {criterion}: accepted")
    page.screenshot(path=str(ARTIFACTS / "evidence-after-resubmission.png"), full_page=True)
    page.goto(f"{base}/portfolios/1")
    expect(page.get_by_role("heading", name="Progress: 17 of 17 criteria met")).to_be_visible()
    expect(page.get_by_role("heading", name="Ready for sign-off")).to_be_visible()
    sign_out(page)

    sign_in(page, base, "learner@demo.test")
    expect(page.get_by_role("heading", name="Ready for sign-off")).to_be_visible()
    # Every version stays visible afterwards.
    open_evidence(page, base, REFLECTIVE)
    page.get_by_role("link", name="Version 1").click()
    expect(page.get_by_text("This is an earlier version")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Say how you kept ownership")

    # Declared and signed off, each bound to the portfolio's digest.
    def sign_as(email, name, button):
        """Sign out, sign in as `email` and sign on the portfolio's signature page."""
        sign_out(page)
        sign_in(page, base, email)
        page.goto(f"{base}/portfolios/1")
        page.get_by_role("link", name="Declaration and sign-off").first.click()
        page.get_by_label("I confirm the statement above").check()
        page.get_by_label("Type your full name to sign").fill(name)
        page.get_by_role("button", name=button).click()

    page.goto(f"{base}/portfolios/1")
    page.get_by_role("link", name="Declaration and sign-off").first.click()
    page.get_by_label("I confirm the statement above").check()
    page.get_by_label("Type your full name to sign").fill("Priya Shah")
    page.get_by_role("button", name="Sign the declaration").click()
    expect(notice(page)).to_contain_text("Signed:")
    sign_as("assessor@demo.test", "Dawn Matthews", "Sign the sign-off")
    expect(notice(page)).to_contain_text("Signed:")

    # The IQA cannot countersign before sampling; the plan proposes the newly signed-off one.
    sign_out(page)
    sign_in(page, base, "iqa@demo.test")
    page.goto(f"{base}/portfolios/1/signatures")
    expect(page.locator("body")).to_contain_text("Sample this portfolio first")
    expect(page.get_by_role("button", name="Sign the countersignature")).to_have_count(0)
    page.get_by_role("link", name="Sampling plan").click()
    expect(page.get_by_role("heading", name="Dawn Matthews")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Under development")
    # The demo's signed-off portfolio (Aisha Khan) is sampled already; Priya's is proposed.
    expect(page.get_by_role("button", name="Add Priya Shah to the plan")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "sampling-plan.png"), full_page=True)
    page.get_by_role("button", name="Add Priya Shah to the plan").click()
    expect(notice(page)).to_contain_text("Added 1 portfolio to the plan")
    page.get_by_role("link", name="Sample Priya Shah").click()
    for choice in page.get_by_label("I agree").all():
        choice.check()
    page.get_by_label("Decisions upheld: the assessment is sound").check()
    page.get_by_label("Feedback to the assessor").fill(
        "Clear, specific feedback; the observation records are detailed.")
    page.get_by_role("button", name="Record the sample").click()
    expect(notice(page)).to_contain_text("Sample recorded")
    expect(page.get_by_role("heading", name="Decisions upheld")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "sample-record.png"), full_page=True)
    page.goto(f"{base}/portfolios/1")
    page.get_by_role("link", name="Declaration and sign-off").first.click()
    page.get_by_label("I confirm the statement above").check()
    page.get_by_label("Type your full name to sign").fill("Graham Okoye")
    page.get_by_role("button", name="Sign the countersignature").click()
    expect(notice(page)).to_contain_text("Signed:")
    expect(page.locator(".state-accepted", has_text="Current")).to_have_count(3)
    expect(page.get_by_text("Signed off and locked")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "signatures.png"), full_page=True)


def test_an_expert_witness_signs_through_a_link_the_assessor_passes_on(live_server, page):
    """Email off: the learner asks, never sees a link; the assessor makes it and passes it
    on; the expert witness signs with their competence and no account; the assessor
    verifies how they checked it."""
    from playwright.sync_api import expect

    base = live_server
    sign_in(page, base, "learner@demo.test")
    page.get_by_role("link", name="Ask a witness").first.click()
    page.get_by_label("Kind of witness").select_option("expert_witness")
    page.get_by_label("Witness’s full name").fill("Sam Carter")
    page.get_by_label("Their email address").fill("sam.carter@northgate.example")
    page.get_by_label("Their job title").fill("Customer service manager")
    page.get_by_label("How they know your work").fill("Manager of the complaints team")
    page.get_by_label("What they saw, and which criteria").fill(
        "How I handled Mrs Okafor's complaint (AC 1.3).")
    page.get_by_role("button", name="Ask the witness").click()
    expect(notice(page)).to_contain_text("will pass the link on to Sam Carter")
    expect(page.locator("#witness-link")).to_have_count(0)
    sign_out(page)

    sign_in(page, base, "assessor@demo.test")
    page.goto(f"{base}/portfolios/1#witnesses-heading")
    page.get_by_role("button", name="Make the link to pass on for Sam Carter").click()
    link = page.get_by_label("Link for Sam Carter").input_value()
    page.goto(link)  # still signed in: the page takes nothing
    expect(page.get_by_role("heading", name="This link is for the witness")).to_be_visible()
    sign_out(page)

    page.goto(link)  # no account: just the link
    expect(page.get_by_role("heading", name="Witness testimony for Priya Shah")).to_be_visible()
    page.get_by_label("What you saw").fill("I heard Priya explain our policy to Mrs Okafor.")
    page.get_by_label("Line manager").check()
    page.get_by_label("Your occupational competence").fill(
        "Customer service manager for 12 years; Level 4 Diploma in Customer Service.")
    page.get_by_label("I am not a relative of the learner").check()
    page.get_by_label("Phone number or email for checking").fill("0113 496 0000")
    page.get_by_label("Type your full name to sign").fill("sam carter")
    page.get_by_label("I confirm this statement is true and that I wrote it").check()
    page.get_by_role("button", name="Sign and send").click()
    expect(page.get_by_role("heading", name="Thank you, Sam Carter")).to_be_visible()
    page.goto(link)
    expect(page.get_by_role("heading", name="This link does not work any more")).to_be_visible()

    sign_in(page, base, "assessor@demo.test")
    page.goto(f"{base}/portfolios/1#witnesses-heading")
    witnesses = page.locator("section", has=page.get_by_role("heading", name="Witnesses (1)"))
    expect(witnesses).to_contain_text("Not yet verified")
    witnesses.get_by_role("link", name="read it").click()
    expect(page.get_by_role("heading", name="Expert witness: Sam Carter, Customer service "
                                            "manager")).to_be_visible()
    expect(page.get_by_text("Level 4 Diploma in Customer Service")).to_be_visible()
    page.get_by_label("Phoned the witness").check()
    page.get_by_label("Note (optional)").fill("Spoke to Sam on 0113 496 0000.")
    page.get_by_role("button", name="Record the verification").click()
    expect(notice(page)).to_contain_text("you verified Sam Carter")
    expect(page.locator("#verification")).to_contain_text("Phoned the witness")
    page.screenshot(path=str(ARTIFACTS / "witness-verified.png"), full_page=True)


def test_a_learner_resets_a_forgotten_password_and_an_admin_sets_a_temporary_one(
        tmp_path, page, monkeypatch):
    """Email on: the learner asks from the sign-in page, follows the emailed link, chooses a
    new password and signs in with it. Then an administrator makes a temporary password for
    another learner, who must choose their own before anything else."""
    from helpers import FakeSMTP
    from playwright.sync_api import expect

    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    new = "lantern orchard velvet 42"
    with demo_server(tmp_path, MAIL_SERVER="smtp.example.test", JOBS_BACKGROUND=False,
                     PUBLIC_URL="https://portfolio.example") as base:
        page.goto(f"{base}/login")
        page.get_by_role("link", name="Forgotten your password?").click()
        page.get_by_label("Email address").fill("learner@demo.test")
        page.get_by_role("button", name="Email me a link").click()
        expect(page.locator("main [role=status]").first).to_contain_text("we have emailed it a link")
        (mail,) = [m for m in FakeSMTP.sent if "new password" in m["Subject"]]
        link = re.search(r"https://portfolio\.example(/password/reset/\S+)",
                         mail.get_content()).group(1)
        page.goto(base + link)
        page.get_by_label("New password", exact=True).fill("password123")
        page.get_by_label("Type the new password again").fill("password123")
        page.get_by_role("button", name="Set my new password").click()
        expect(page.get_by_text("too easy to guess").first).to_be_visible()
        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("Type the new password again").fill(new)
        page.get_by_role("button", name="Set my new password").click()
        expect(page.get_by_text("Your new password is set")).to_be_visible()
        sign_in(page, base, "learner@demo.test", new)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        sign_out(page)

        sign_in(page, base, "admin@demo.test")
        page.get_by_role("link", name="Tom Reilly").last.click()
        page.get_by_role("button", name="Make a temporary password").click()
        temporary = page.locator("#temporary-password").inner_text()
        page.screenshot(path=str(ARTIFACTS / "temporary-password.png"), full_page=True)
        sign_out(page)
        sign_in(page, base, "learner2@demo.test", temporary)
        expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
        page.goto(f"{base}/portfolios/")  # nothing else until it is chosen
        expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("Type the new password again").fill(new)
        page.get_by_role("button", name="Change my password").click()
        expect(page.get_by_text("Your password is changed")).to_be_visible()
