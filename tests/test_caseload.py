"""The assessor's caseload: progress and what needs doing, most urgent first, in a fixed number
of queries however many learners there are."""

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from helpers import ALL, make_complete
from sqlalchemy import event, select

from portfolio.models import AuditEvent, Portfolio, User


@contextmanager
def count_queries(engine):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def enrol(db, people, make_user, make_evidence, n):
    for i in range(n):
        learner = make_user("learner", name=f"Learner {i:02d}")
        portfolio = Portfolio(learner_id=learner.id, unit_id="unit-40",
                              assessor_id=people["assessor"].id, iqa_id=people["iqa"].id)
        db.session.add(portfolio)
        db.session.commit()
        make_evidence(portfolio, title=f"Email {i}", claims={"2.1": "accepted", "2.3": None,
                                                             "2.7": "referred"})
        make_evidence(portfolio, title=f"Account {i}", method="reflective_account",
                      claims={"1.3": None})


def caseload_queries(db, browser, client, people, url="/portfolios/"):
    browser.login(people["assessor"])
    client.get(url)  # warm up: the login's own queries are done, the summaries written
    with count_queries(db.engine) as statements:
        page = client.get(url)
    assert page.status_code == 200
    return len(statements), page.text


def test_query_count_does_not_grow_with_the_caseload(app, db, browser, client, people,
                                                     make_user, make_evidence):
    enrol(db, people, make_user, make_evidence, 3)
    few, page = caseload_queries(db, browser, client, people)
    assert page.count("Learner 0") == 3
    enrol(db, people, make_user, make_evidence, 27)
    many, page = caseload_queries(db, browser, client, people)
    assert len(re.findall(r">Learner \d\d<", page)) == 25  # a page at a time
    assert "30 portfolios, page 1 of 2" in page
    assert many == few, f"{few} queries for 3 learners, {many} for 30"
    _, second = caseload_queries(db, browser, client, people, "/portfolios/?page=2")
    assert len(re.findall(r">Learner \d\d<", second)) == 5


def test_search_sort_and_pages_keep_each_other(db, browser, client, people, make_user,
                                               make_evidence):
    enrol(db, people, make_user, make_evidence, 30)
    browser.login(people["assessor"])
    page = client.get("/portfolios/?q=learner+0&sort=name").text
    assert row_order(page) == [f"Learner {i:02d}" for i in range(10)]
    assert "10 portfolios whose learner’s name contains “learner 0”" in page
    assert client.get("/portfolios/?q=50%25").text.count("No learner’s name contains") == 1
    last = client.get("/portfolios/?sort=name&page=2").text
    assert row_order(last)[0] == "Learner 25" and 'href="/portfolios/?sort=name&amp;page=1"' in last
    assert client.get("/portfolios/?page=99").status_code == 200  # past the end: the last page
    assert client.get("/portfolios/?sort=nonsense").status_code == 200


def row_order(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/portfolios/\d+">([^<]+)</a>', page)


def test_what_needs_the_assessor_comes_first(db, browser, client, people, make_user,
                                             make_evidence):
    def learner(name, claims=None, idle_days=0):
        user = make_user("learner", name=name)
        portfolio = Portfolio(learner_id=user.id, unit_id="unit-40",
                              assessor_id=people["assessor"].id, iqa_id=people["iqa"].id)
        db.session.add(portfolio)
        db.session.commit()
        if claims is ALL:
            make_complete(portfolio, make_evidence)
        elif claims:
            make_evidence(portfolio, method="product_evidence", claims=claims)
        db.session.add(AuditEvent(portfolio_id=portfolio.id, action="evidence.added",
                                  created_at=datetime.now(UTC) - timedelta(days=idle_days)))
        db.session.commit()
    learner("Quiet Quinn", idle_days=40)
    learner("Busy Bea", {"2.1": None, "2.3": None, "2.6": None}, idle_days=1)
    learner("Waiting Will", {"2.1": None}, idle_days=9)
    learner("Recent Rita", idle_days=2)
    learner("Ready Ravi", ALL, idle_days=3)
    _, page = caseload_queries(db, browser, client, people)
    assert row_order(page) == ["Busy Bea", "Waiting Will", "Ready Ravi", "Quiet Quinn",
                               "Recent Rita"]
    assert "Ready for sign-off" in page and "Judge 3 claims" in page
    assert "40 days ago" in page
    assert "LO1 8/8</span> · <span class=\"text-nowrap\">LO2 9/9" in page


def test_ready_for_sign_off_shows_to_assessor_and_learner(db, browser, client, people,
                                                          portfolios, make_evidence):
    make_complete(portfolios["own"], make_evidence)
    url = f"/portfolios/{portfolios['own'].id}"
    browser.login(people["assessor"])
    page = client.get(url).text
    assert "Ready for sign-off" in page and "before you sign it off" in page
    client.post("/logout", data={"csrf_token": browser.token(url)})
    browser.login(people["learner"])
    page = client.get(url).text
    assert "Ready for sign-off" in page and "Sign the declaration" in page


def test_not_ready_while_one_criterion_is_missing(db, browser, client, people, portfolios,
                                                  make_evidence):
    make_evidence(portfolios["own"], claims={k: v for k, v in ALL.items() if k != "2.9"})
    browser.login(people["learner"])
    assert "Ready for sign-off" not in client.get(f"/portfolios/{portfolios['own'].id}").text


def test_the_caseload_shows_only_the_assessors_own_learners(db, browser, client, people,
                                                            portfolios):
    _, page = caseload_queries(db, browser, client, people)
    names = row_order(page)
    other = db.session.scalar(select(User).where(User.id == portfolios["other"].learner_id))
    assert names == ["Learner"] and other.name not in page
