"""Every hot filter has an index: the statements the busiest pages run (the caseload, the
unread count on every page, a portfolio page, the IQA plan, the inbox) are explained by the
database itself, and none reads a whole table of the kinds that grow with the centre. On
PostgreSQL sequential scans are switched off for the check, so the plan shows whether an
index *can* serve the filter (with a test's few rows the planner would rightly scan)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

# Tables that grow with every learner, item and click.
GROWING = ("notification", "audit_event", "evidence", "claim", "decision", "portfolio_summary",
           "evidence_version", "evidence_response", "sample", "sample_action", "signature")


def _statements(db, client, urls):
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", before)
    try:
        for url in urls:
            assert client.get(url).status_code == 200, url
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return seen


def _full_scans(db, statement, parameters) -> list[str]:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
            return [line.strip() for line in plan for table in GROWING
                    if re.search(rf"Seq Scan on {table}\b", line)]
        plan = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                     parameters)]
        return [line for line in plan for table in GROWING
                if re.fullmatch(rf"SCAN {table}( AS \w+)?", line.strip())]


@pytest.mark.parametrize("who", ["assessor", "iqa", "learner"])
def test_the_busiest_pages_read_by_index(db, client, browser, people, portfolios,
                                         make_evidence, who):
    from portfolio.notify import notify

    own = portfolios["own"]
    make_evidence(own, claims={"2.1": "accepted", "2.6": None})
    for user in people.values():
        notify(user, "A notice")
    db.session.commit()
    browser.login(people[who])
    urls = {"assessor": ["/portfolios/", f"/portfolios/{own.id}", "/inbox/"],
            "iqa": ["/quality/", "/portfolios/?sort=quiet"],
            "learner": [f"/portfolios/{own.id}", "/inbox/"]}[who]
    problems = []
    for statement, parameters in _statements(db, client, urls):
        for scan in _full_scans(db, statement, parameters):
            problems.append(f"{scan}\n    in: {' '.join(statement.split())[:300]}")
    assert not problems, "\n".join(problems)


def test_a_filter_without_an_index_is_caught(db):
    """The check itself: a filter on a column no index covers is reported."""
    where = "message = :m" if db.engine.dialect.name == "sqlite" else "message = %(m)s"
    assert _full_scans(db, f"SELECT id FROM notification WHERE {where}", {"m": "x"})  # noqa: S608
