"""External quality assurers: grant, invitation, scope, expiry, revocation, the view log."""

import re
from datetime import timedelta

from sqlalchemy import select

from portfolio.models import AuditEvent, EqaGrant, User, utcnow


def grant_through_the_page(browser, client, people, portfolios, days="14"):
    browser.login(people["admin"])
    page = browser.submit("/admin/eqa", {
        "name": "Eva External", "email": "Eva@AwardingBody.example", "organisation": "AB",
        "days": days, "portfolios": [str(portfolios["own"].id)]})
    assert page.status_code == 200, page.text
    link = re.search(r'id="link" class="form-control" readonly value="([^"]+)"', page.text)
    assert link, page.text
    client.post("/logout", data={"csrf_token": browser.token("/admin/")})
    return link.group(1).replace("http://localhost", "")


def test_admin_grants_eqa_sets_a_password_and_sees_exactly_the_named_portfolio(
        db, client, browser, people, portfolios, make_evidence):
    make_evidence(portfolios["own"], title="Own evidence", claims={"2.1": "accepted"})
    make_evidence(portfolios["other"], title="Someone else's", claims={"2.1": "accepted"})
    refused = browser.login(people["admin"]) and browser.submit(
        "/admin/eqa", {"name": "X", "email": "x@ab.example", "days": "200"})
    assert refused.status_code == 422 and "Choose at least one portfolio" in refused.text
    client.post("/logout", data={"csrf_token": browser.token("/admin/")})
    link = grant_through_the_page(browser, client, people, portfolios)
    eqa = db.session.scalar(select(User).where(User.email == "eva@awardingbody.example"))
    assert eqa.role == "eqa"
    # No password yet: the link sets one, once.
    mismatch = browser.submit(link, {"password": "a-long-password-1", "password2": "other"})
    assert mismatch.status_code == 422 and "different" in mismatch.text
    done = browser.submit(link, {"password": "a-long-password-1",
                                 "password2": "a-long-password-1"}, follow_redirects=True)
    assert "Your password is set" in done.text
    assert client.get(link).status_code == 410  # used
    browser.login("eva@awardingbody.example", "a-long-password-1")
    listing = client.get("/portfolios/").text
    assert people["learner"].name in listing and people["other_learner"].name not in listing
    assert client.get(f"/portfolios/{portfolios['own'].id}").status_code == 200
    assert client.get(f"/portfolios/{portfolios['other'].id}").status_code == 404
    own_evidence = portfolios["own"].evidence[0].id
    assert client.get(f"/evidence/{own_evidence}").status_code == 200
    assert "Sampling plan" in client.get("/quality/").text


def test_every_page_and_file_an_eqa_opens_is_logged(db, client, browser, people, portfolios,
                                                   eqa_grant, make_evidence):
    ev = make_evidence(portfolios["own"], title="Own evidence")
    browser.login(eqa_grant.eqa)
    client.get(f"/portfolios/{portfolios['own'].id}")
    client.get(f"/evidence/{ev.id}")
    client.get(f"/portfolios/{portfolios['other'].id}")  # refused, and logged
    client.get("/quality/")
    db.session.expire_all()
    views = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "eqa.viewed").order_by(AuditEvent.id)).all()
    summaries = [v.summary for v in views]
    assert f"GET /portfolios/{portfolios['own'].id} (200)" in summaries
    assert f"GET /evidence/{ev.id} (200)" in summaries
    assert f"GET /portfolios/{portfolios['other'].id} (404)" in summaries
    assert "GET /quality/ (200)" in summaries
    page_view = next(v for v in views if v.summary.startswith("GET /portfolios/"))
    assert page_view.portfolio_id == portfolios["own"].id
    assert all(v.actor_id == eqa_grant.eqa.id for v in views)
    # The admin reads the log on the grant's page.
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["admin"])
    log = client.get(f"/admin/eqa/{eqa_grant.id}").text
    assert f"GET /evidence/{ev.id} (200)" in log


def test_access_ends_with_the_grant_even_mid_session(db, client, browser, people, portfolios,
                                                     eqa_grant):
    own = portfolios["own"].id
    browser.login(eqa_grant.eqa)
    assert client.get(f"/portfolios/{own}").status_code == 200
    eqa_grant.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    after = client.get(f"/portfolios/{own}")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    again = browser.login(eqa_grant.eqa)
    assert again.status_code == 403 and "has ended" in again.text


def test_a_withdrawn_grant_signs_the_eqa_out(db, client, browser, people, portfolios,
                                             eqa_grant):
    browser.login(eqa_grant.eqa)
    assert client.get("/portfolios/").status_code == 200
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["admin"])
    withdrawn = browser.submit(f"/admin/eqa/{eqa_grant.id}/revoke", {},
                               form_url=f"/admin/eqa/{eqa_grant.id}", follow_redirects=True)
    assert "Withdrew" in withdrawn.text and "Revoked" in withdrawn.text
    client.post("/logout", data={"csrf_token": browser.token("/admin/")})
    assert browser.login(eqa_grant.eqa).status_code == 403


def test_invitation_links_that_cannot_be_used_say_why(app, db, client, browser, people,
                                                      portfolios):
    link = grant_through_the_page(browser, client, people, portfolios)
    assert client.get(link + "x").status_code == 404
    grant = db.session.scalar(select(EqaGrant))
    grant.created_at = utcnow() - timedelta(days=app.config["EQA_INVITE_DAYS"] + 1)
    db.session.commit()
    page = client.get(link)
    assert page.status_code == 410 and "expired" in page.text


def test_an_existing_centre_account_cannot_become_an_eqa(client, browser, people, portfolios):
    browser.login(people["admin"])
    page = browser.submit("/admin/eqa", {
        "name": "Assessor", "email": people["assessor"].email, "days": "14",
        "portfolios": [str(portfolios["own"].id)]})
    assert page.status_code == 422 and "needs an account of their own" in page.text


def test_an_invitation_opened_while_signed_in_is_not_logged_with_its_token(
        db, client, browser, people, portfolios, eqa_grant):
    link = grant_through_the_page(browser, client, people, portfolios)
    browser.login(eqa_grant.eqa)
    assert client.get(link).status_code == 200
    token = link.rsplit("/", 1)[1]
    summaries = db.session.scalars(select(AuditEvent.summary).where(
        AuditEvent.action == "eqa.viewed")).all()
    assert "GET /eqa/invitation/(link) (200)" in summaries
    assert not any(token in s for s in summaries)
