"""Route x role x own/someone else's portfolio, through the one permission function."""

import io
from datetime import date

import pytest

from portfolio.access import Action, can
from portfolio.evidence.services import EvidenceFields, Upload, add_evidence, check_uploads
from portfolio.units import all_units


@pytest.fixture
def world(app, db, people, portfolios):
    """Evidence with a file in each portfolio."""
    store = app.extensions["evidence_store"]
    unit = all_units()["unit-40"]
    out = {}
    for key, learner in (("own", people["learner"]), ("other", people["other_learner"])):
        files = check_uploads(store, [Upload(io.BytesIO(f"{key} secret notes\n".encode()),
                                             f"{key}.txt")], 10_000)
        ev = add_evidence(portfolios[key], unit,
                          EvidenceFields("Notes", "product_evidence", date.today(), "", ""),
                          files, actor=learner, store=store, submission_key=None,
                          today=date.today())
        db.session.commit()
        out[key] = {"p": portfolios[key].id, "e": ev.id, "f": ev.files[0].id,
                    "sha": ev.files[0].sha256}
    return out


def status(client, url: str) -> int:
    response = client.get(url)
    response.close()  # file downloads are streamed: close them
    return response.status_code


VIEW_ROUTES = ["/portfolios/{p}", "/evidence/{e}", "/evidence/{e}/files/{f}",
               "/evidence/{e}/versions/1", "/evidence/{e}/versions/1/files/{sha}"]
EDIT_ROUTES = ["/portfolios/{p}/evidence/new", "/evidence/{e}/edit", "/evidence/{e}/claims",
               "/evidence/{e}/delete"]
JUDGE_ROUTES = ["/portfolios/{p}/records/new/direct_observation",
                "/portfolios/{p}/records/new/professional_discussion"]
ADMIN_ROUTES = ["/admin/", "/admin/users/new", "/admin/enrol", "/admin/audit", "/admin/eqa"]

# role -> ((view, edit, judge) on their own portfolio, the same on someone else's, admin pages)
EXPECTED = {
    "learner": ((200, 200, 403), (404, 404, 404), 403),
    "assessor": ((200, 403, 200), (404, 404, 404), 403),
    "iqa": ((200, 403, 403), (404, 404, 404), 403),
    "admin": ((200, 403, 403), (200, 403, 403), 200),
    # An EQA's grant names the "own" portfolio only: read it, change nothing, see nothing else.
    # Pages that change things are refused to an EQA before any lookup (403 for every id).
    "eqa": ((200, 403, 403), (404, 403, 403), 403),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_access_matrix(client, browser, people, world, eqa_grant, role):
    browser.login(eqa_grant.eqa if role == "eqa" else people[role])
    own, other, admin = EXPECTED[role]
    for which, codes in (("own", own), ("other", other)):
        ids = world[which]
        for routes, code in zip((VIEW_ROUTES, EDIT_ROUTES, JUDGE_ROUTES), codes, strict=True):
            for route in routes:
                assert status(client, route.format(**ids)) == code, (role, which, route)
    for route in ADMIN_ROUTES:
        assert status(client, route) == admin, (role, route)


@pytest.mark.parametrize("route", VIEW_ROUTES + EDIT_ROUTES + JUDGE_ROUTES + ADMIN_ROUTES
                         + ["/portfolios/", "/inbox/"])
def test_anonymous_users_are_sent_to_sign_in(client, world, route):
    url = route.format(**world["own"])
    response = client.get(url)
    response.close()
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_learner_never_downloads_another_learners_file_even_via_own_evidence(client, browser,
                                                                             people, world):
    browser.login(people["learner"])
    own, other = world["own"], world["other"]
    # Their own evidence id with the other learner's file id: refused.
    assert status(client, f"/evidence/{own['e']}/files/{other['f']}") == 404
    with client.get(f"/evidence/{own['e']}/files/{own['f']}") as response:
        assert response.data == b"own secret notes\n"


def test_learner_cannot_post_to_another_learners_portfolio(client, browser, people, world):
    browser.login(people["learner"])
    token = browser.token("/portfolios/")
    other = world["other"]
    for url in (f"/portfolios/{other['p']}/evidence/new", f"/evidence/{other['e']}/edit",
                f"/evidence/{other['e']}/claims", f"/evidence/{other['e']}/delete",
                f"/evidence/{other['e']}/files/{other['f']}/remove",
                f"/evidence/{other['e']}/response", f"/evidence/{other['e']}/claims/add",
                f"/evidence/{other['e']}/record",
                f"/portfolios/{other['p']}/records/new/direct_observation"):
        assert client.post(url, data={"csrf_token": token, "title": "x"}).status_code == 404, url


QUALITY_ROUTES = ["/quality/", "/quality/plan.csv", "/quality/pack", "/portfolios/{p}/audit",
                  "/inbox/", "/admin/eqa"]
# role -> status on each of QUALITY_ROUTES (the plan is the portfolios' IQA's)
QUALITY_EXPECTED = {
    "learner": (403, 403, 403, 403, 200, 403),
    "assessor": (403, 403, 403, 200, 200, 403),
    "iqa": (200, 200, 200, 200, 200, 403),
    "admin": (200, 200, 200, 200, 200, 200),
    "eqa": (200, 200, 403, 403, 403, 403),
}


@pytest.mark.parametrize("role", sorted(QUALITY_EXPECTED))
def test_quality_pages_by_role(client, browser, people, world, eqa_grant, role):
    browser.login(eqa_grant.eqa if role == "eqa" else people[role])
    for route, code in zip(QUALITY_ROUTES, QUALITY_EXPECTED[role], strict=True):
        assert status(client, route.format(**world["own"])) == code, (role, route)


def test_eqa_can_post_nothing_that_changes_a_portfolio(client, browser, people, world,
                                                       eqa_grant):
    browser.login(eqa_grant.eqa)
    token = browser.token("/portfolios/")
    own = world["own"]
    for url in (f"/portfolios/{own['p']}/evidence/new", f"/evidence/{own['e']}/edit",
                f"/evidence/{own['e']}/claims", f"/evidence/{own['e']}/delete",
                f"/evidence/{own['e']}/files/{own['f']}/remove",
                f"/portfolios/{own['p']}/export", f"/portfolios/{own['p']}/signatures",
                f"/portfolios/{own['p']}/reopen", "/quality/plan",
                f"/quality/portfolios/{own['p']}/sample", "/inbox/read"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert can(eqa_grant.eqa, Action.VIEW, db_portfolio(own["p"]))
    for action in Action:
        if action not in (Action.VIEW, Action.READ_QUALITY):
            assert not can(eqa_grant.eqa, action, db_portfolio(own["p"])), action


def db_portfolio(portfolio_id):
    from portfolio.extensions import db
    from portfolio.models import Portfolio
    return db.session.get(Portfolio, portfolio_id)


def test_lists_show_only_what_each_role_may_see(client, browser, people, world):
    browser.login(people["assessor"])
    page = client.get("/portfolios/").text
    assert "Learner" in page and people["learner"].name in page
    assert people["other_learner"].name not in page


def test_can_is_the_single_rule(people, portfolios):
    own = portfolios["own"]
    assert can(people["learner"], Action.EDIT_EVIDENCE, own)
    assert not can(people["assessor"], Action.EDIT_EVIDENCE, own)
    assert can(people["assessor"], Action.JUDGE, own)
    assert not can(people["other_assessor"], Action.JUDGE, own)
    assert not can(people["iqa"], Action.JUDGE, own)
    assert not can(None, Action.VIEW, own)
    people["learner"].active = False
    assert not can(people["learner"], Action.VIEW, own)
