"""Fewer clicks where people repeat themselves, and words for people."""

import io
from datetime import date

from helpers import make_complete
from sqlalchemy import select

from portfolio.assessment.services import record_decision
from portfolio.evidence.services import EvidenceFields, Upload, add_evidence, check_uploads
from portfolio.iqa.services import add_to_plan
from portfolio.models import Decision, Notification, Sample, User
from portfolio.notify import notify
from portfolio.units import all_units

TODAY = date.today()


def upload_item(app, db, people, portfolios, title, name, data):
    """The learner's evidence item holding one uploaded file, saved."""
    store = app.extensions["evidence_store"]
    files = check_uploads(store, [Upload(io.BytesIO(data), name)], 50_000)
    evidence = add_evidence(portfolios["own"], all_units()["unit-40"],
                            EvidenceFields(title, "product_evidence", TODAY, "", ""), files,
                            actor=people["learner"], store=store, submission_key=None,
                            today=TODAY)
    db.session.commit()
    return evidence


def test_the_assessor_accepts_every_awaiting_claim_at_once(db, client, browser, people,
                                                           portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.6": None, "2.7": None,
                                                        "2.8": "referred"})
    notify(people["assessor"], "Learner claimed AC 2.6, 2.7.",
           link=f"/evidence/{evidence.id}", portfolio=portfolios["own"])
    db.session.commit()
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{evidence.id}").text
    assert "Accept all 2 claims awaiting a decision" in page
    done = browser.submit(f"/evidence/{evidence.id}/accept-all", {},
                          form_url=f"/evidence/{evidence.id}", follow_redirects=True)
    assert "Accepted AC 2.6, 2.7: one decision each" in done.text
    db.session.expire_all()
    outcomes = {d.claim.criterion_id: d.outcome for d in db.session.scalars(select(Decision))}
    assert outcomes == {"2.6": "accepted", "2.7": "accepted", "2.8": "referred"}
    # The notice about the claims is done once nothing on the item awaits a decision.
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["assessor"].id)).read_at is not None
    learner_notes = db.session.scalars(select(Notification.message).where(
        Notification.user_id == people["learner"].id)).all()
    assert learner_notes == ["Assessor accepted AC 2.6, 2.7 on “Email to customer”."]


def test_the_iqa_agrees_with_every_decision_left_unmarked(db, client, browser, people,
                                                          portfolios, make_evidence):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    sample = add_to_plan(own, actor=people["iqa"])
    db.session.commit()
    browser.login(people["iqa"])
    url = f"/quality/samples/{sample.id}"
    page = client.get(url).text
    assert "I agree with every decision I have not marked above" in page
    first = db.session.scalars(select(Decision).order_by(Decision.id)).first()
    refused = browser.submit(url, {"agree_rest": "y", f"agree-{first.id}": "no",
                                   "outcome": "action_required", "feedback": "One to check.",
                                   "actions": "Look again at 1.1", "due": TODAY.isoformat()})
    assert refused.status_code == 422  # the disagreement still needs its comment
    browser.submit(url, {"agree_rest": "y", "outcome": "upheld",
                         "feedback": "Sound decisions."})
    db.session.expire_all()
    recorded = db.session.get(Sample, sample.id)
    assert recorded.completed and all(c.agrees for c in recorded.checks)
    assert len(recorded.checks) == db.session.query(Decision).count()


def test_the_inbox_groups_by_portfolio_and_marks_a_group_read(db, client, browser, people,
                                                              portfolios):
    assessor = people["assessor"]
    other = portfolios["other"]
    other.assessor_id = assessor.id
    notify(assessor, "About the own portfolio.", link="/portfolios/1",
           portfolio=portfolios["own"])
    notify(assessor, "About the other portfolio.", link="/portfolios/2", portfolio=other)
    db.session.commit()
    browser.login(assessor)
    page = client.get("/inbox/").text
    assert "Learner: Unit 40: Resolve Customers’ Complaints" in page
    assert "Other Learner: Unit 40: Resolve Customers’ Complaints" in page
    assert page.count("Mark these read") == 2
    browser.submit("/inbox/read", {"portfolio": str(other.id)}, form_url="/inbox/")
    db.session.expire_all()
    unread = db.session.scalars(select(Notification.message).where(
        Notification.user_id == assessor.id, Notification.read_at.is_(None))).all()
    assert unread == ["About the own portfolio."]


def test_removing_a_file_keeps_what_was_typed_and_saves_once(app, db, client, browser, people,
                                                             portfolios):
    store = app.extensions["evidence_store"]
    files = check_uploads(store, [Upload(io.BytesIO(b"first\n"), "a.txt"),
                                  Upload(io.BytesIO(b"second\n"), "b.txt")], 10_000)
    evidence = add_evidence(portfolios["own"], all_units()["unit-40"],
                            EvidenceFields("Log", "product_evidence", TODAY, "", "Old."), files,
                            actor=people["learner"], store=store, submission_key=None,
                            today=TODAY)
    db.session.commit()
    browser.login(people["learner"])
    form = client.get(f"/evidence/{evidence.id}/edit").text
    assert "Remove a.txt (6 bytes) when I save" in form and "form=\"remove-" not in form
    doomed = next(f.id for f in evidence.files if f.filename == "a.txt")
    browser.submit(f"/evidence/{evidence.id}/edit",
                   {"title": "Log", "method": "product_evidence", "dated": TODAY.isoformat(),
                    "context": "", "account_md": "New account, typed before removing.", "ai_answer": "no",
                    "remove_file": str(doomed)})
    db.session.expire_all()
    saved = db.session.get(type(evidence), evidence.id)
    assert [f.filename for f in saved.files] == ["b.txt"]
    assert saved.account_md == "New account, typed before removing." and saved.version == 2


def test_the_tag_page_shows_each_criterions_state_and_a_new_learner_a_start(
        db, client, browser, people, portfolios, make_evidence):
    browser.login(people["learner"])
    start = client.get(f"/portfolios/{portfolios['own'].id}").text
    assert "Start here" in start and "Add a piece of evidence" in start
    make_evidence(portfolios["own"], title="Earlier email", claims={"2.6": "accepted"})
    evidence = make_evidence(portfolios["own"], title="New email")
    page = client.get(f"/evidence/{evidence.id}/claims").text
    assert "In your portfolio now:" in page and "Met</span>" in page
    assert "Start here" not in client.get(f"/portfolios/{portfolios['own'].id}").text


def test_an_admin_creates_an_account_at_a_dot_test_domain(db, client, browser, people):
    browser.login(people["admin"])
    browser.submit("/admin/users/new", {"name": "Sam Tester", "email": "sam@demo.test",
                                        "role": "learner", "password": "a long enough pass"})
    assert db.session.scalar(select(User).where(User.email == "sam@demo.test")) is not None


def test_audit_events_read_in_plain_english(db, client, browser, people, portfolios,
                                            make_evidence):
    claim = make_evidence(portfolios["own"], claims={"2.6": None}).claims[0]
    record_decision(claim, "accepted", "", assessor=people["assessor"])
    db.session.commit()
    browser.login(people["assessor"])
    page = client.get(f"/portfolios/{portfolios['own'].id}/audit").text
    assert "Claim accepted" in page and "<code>decision.accepted</code>" not in page


def test_an_image_is_previewed_in_the_page_through_the_same_checks(app, db, client, browser,
                                                                   people, portfolios):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(out, "PNG")
    evidence = upload_item(app, db, people, portfolios, "Photo", "whiteboard.png",
                           out.getvalue())
    url = f"/evidence/{evidence.id}/files/{evidence.files[0].id}"
    browser.login(people["learner"])
    assert f'src="{url}?preview=1" alt="Preview of whiteboard.png"' in \
        client.get(f"/evidence/{evidence.id}").text
    with client.get(f"{url}?preview=1") as shown:
        assert shown.status_code == 200 and "attachment" not in shown.headers.get(
            "Content-Disposition", "")
        assert shown.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["other_learner"])
    with client.get(f"{url}?preview=1") as refused:
        assert refused.status_code == 404


def test_a_refused_decision_and_a_wrong_password_say_so_in_the_title_and_a_summary(
        db, client, browser, people, portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.6": None})
    claim = evidence.claims[0]
    browser.login(people["assessor"])
    page = browser.submit(f"/claims/{claim.id}/decision", {}, form_url=f"/evidence/{evidence.id}")
    assert page.status_code == 422
    assert "<title>Error: Email to customer" in page.text
    assert 'id="error-summary"' in page.text and "Choose accept or refer." in page.text
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    wrong = browser.submit("/login", {"email": people["learner"].email, "password": "nope"})
    assert "<title>Error: Sign in" in wrong.text


def test_an_accessibility_statement_is_linked_from_every_page(client):
    page = client.get("/accessibility").text
    assert "WCAG" in page and "another format" in page and "What we know is not fully" in page
    assert 'href="/accessibility"' in client.get("/login").text


def test_a_pdf_page_is_previewed_as_a_picture_through_the_same_checks(app, db, client, browser,
                                                                      people, portfolios):
    from hostile import looping_pdf

    name, data = looping_pdf()  # a broken scan: the preview is drawn from the repaired copy
    evidence = upload_item(app, db, people, portfolios, "Scan", name, data)
    url = f"/evidence/{evidence.id}/files/{evidence.files[0].id}/pages"
    browser.login(people["learner"])
    assert f'src="{url}/1" alt="Page 1 of looping.pdf' in client.get(f"/evidence/{evidence.id}").text
    with client.get(f"{url}/1") as page:
        assert page.status_code == 200 and page.data[:8] == b"\x89PNG\r\n\x1a\n"
        assert page.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    with client.get(f"{url}/2") as beyond:
        assert beyond.status_code == 404
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["other_learner"])
    with client.get(f"{url}/1") as refused:
        assert refused.status_code == 404


def test_the_learner_reading_an_item_reads_the_notices_about_it(db, client, browser, people,
                                                                portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.6": None, "2.7": None})
    for claim in evidence.claims:
        record_decision(claim, "accepted", "", assessor=people["assessor"])
    db.session.commit()
    browser.login(people["learner"])
    assert "Inbox 2 new" in " ".join(client.get("/inbox/").text.split()) or \
        db.session.query(Notification).filter_by(read_at=None).count() == 2
    client.get(f"/evidence/{evidence.id}")
    db.session.expire_all()
    assert db.session.scalars(select(Notification).where(
        Notification.user_id == people["learner"].id, Notification.read_at.is_(None))).all() == []
