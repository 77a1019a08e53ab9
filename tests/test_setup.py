"""Migrations match the models; init-db and the demo centre work from the command line."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from portfolio import create_app
from portfolio.extensions import db
from portfolio.facts import coverage_for
from portfolio.models import Decision, EqaGrant, Evidence, Portfolio, User
from portfolio.units import all_units


def fresh_app(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "t",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                       "EVIDENCE_DIR": str(tmp_path / "evidence"),
                       "EXPORT_DIR": str(tmp_path / "exports")},
                      instance_path=str(tmp_path / "instance"))


def test_init_db_applies_migrations_that_match_the_models(tmp_path):
    app = fresh_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], "models and migrations differ: run flask --app app db migrate"


def test_demo_is_idempotent_and_leaves_the_learner_halfway(tmp_path):
    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    first = runner.invoke(args=["demo", "--password", "demo-password-1"])
    assert first.exit_code == 0, first.output
    for email in ("admin@demo.test", "assessor@demo.test", "iqa@demo.test",
                  "learner@demo.test", "learner2@demo.test", "learner3@demo.test",
                  "eqa@demo.test"):
        assert email in first.output
    assert first.output.count("demo-password-1") == 7
    second = runner.invoke(args=["demo"])  # random passwords this time
    assert second.exit_code == 0 and "demo-password-1" not in second.output
    with app.app_context():
        assert db.session.query(User).count() == 7
        assert db.session.query(EqaGrant).count() == 1  # not a second grant on the rerun
        assert db.session.query(Portfolio).count() == 3
        assert db.session.query(Evidence).count() == 4 + 5
        learner = db.session.scalar(select(User).where(User.email == "learner@demo.test"))
        portfolio = db.session.scalar(select(Portfolio).where(Portfolio.learner_id == learner.id))
        from datetime import date
        coverage = coverage_for(portfolio, all_units()["unit-40"], date.today())
        assert 5 <= coverage.met <= 11  # "halfway"
        statuses = {c.status for c in coverage.gaps}
        # The demo shows every kind of gap reason a learner meets.
        assert {"awaiting", "referred", "not_current", "needs_workplace",
                "no_evidence"} <= statuses
        assert db.session.query(Decision).count() > 0


def test_demo_eqa_sees_exactly_the_named_portfolio_until_the_grant_expires(tmp_path):
    """Done-when of the quality issue: the demo IQA has a plan; the demo EQA grant shows
    exactly the named portfolio and expires."""
    import re
    from datetime import timedelta

    from portfolio.models import utcnow

    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["demo", "--password", "demo-password-1"])
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()

    def login(email):
        return client.post("/login", data={"email": email, "password": "demo-password-1"})

    login("iqa@demo.test")
    plan = client.get("/quality/").text
    assert "Dawn Matthews" in plan and "Under development" in plan and "Priya Shah" in plan
    client.post("/logout")
    login("eqa@demo.test")
    listing = client.get("/portfolios/").text
    assert "Priya Shah" in listing and "Tom Reilly" not in listing
    with app.app_context():
        grant = db.session.scalar(select(EqaGrant))
        own = [p.id for p in grant.portfolios]
        other = db.session.scalar(select(Portfolio.id).where(Portfolio.id.not_in(own)))
        assert 29 <= (grant.expires_at - utcnow()).days <= 30
    assert client.get(f"/portfolios/{own[0]}").status_code == 200
    assert client.get(f"/portfolios/{other}").status_code == 404
    with app.app_context():
        grant = db.session.scalar(select(EqaGrant))
        grant.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(f"/portfolios/{own[0]}").status_code == 302  # signed out
    refused = login("eqa@demo.test")
    assert refused.status_code == 403 and re.search("has ended", refused.text)


def test_users_create_command(tmp_path):
    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    result = runner.invoke(args=["users", "create", "--role", "assessor", "--email",
                                 "New@Test.example", "--name", "New Person", "--password",
                                 "a long password"])
    assert result.exit_code == 0, result.output
    assert "Created assessor new@test.example" in result.output
    again = runner.invoke(args=["users", "create", "--role", "assessor", "--email",
                                "new@test.example", "--name", "X", "--password", "a long password"])
    assert again.exit_code == 1 and "already an account" in again.output


def test_the_demo_iqa_sees_the_signed_portfolio_as_signed_three_years_on(tmp_path):
    """Done-when of the verdict issue: the signed-off demo portfolio, with --on three years
    ahead, shows the verdict it was signed with; JSON for scripts says the same."""
    import json
    from datetime import timedelta

    from portfolio.clock import uk_today

    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["demo", "--password", "demo-password-1"])
    with app.app_context():
        aisha = db.session.scalar(select(User).where(User.email == "learner3@demo.test"))
        portfolio = db.session.scalar(select(Portfolio).where(Portfolio.learner_id == aisha.id))
        assert portfolio.locked
        kinds = {s.kind for s in portfolio.signatures}
        assert kinds == {"declaration", "sign_off", "countersign"}
        pid = portfolio.id
    later = (uk_today() + timedelta(days=3 * 366)).isoformat()
    text = runner.invoke(args=["coverage", str(pid), "--on", later])
    assert text.exit_code == 0, text.output
    assert "17 of 17 criteria met as signed off on" in text.output and "(complete)" in text.output
    data = json.loads(runner.invoke(args=["coverage", str(pid), "--on", later, "--json"]).output)
    assert data["complete"] and data["met"] == 17 and data["judged_on"] == later
    assert data["signed_on"] == uk_today().isoformat()
    by_id = {c["id"]: c for c in data["criteria"]}
    assert [e["method"] for e in by_id["2.4"]["rests_on"]] == ["professional_discussion"]
    assert {e["range_items"][0] for e in by_id["2.3"]["rests_on"]} == {"email", "telephone"}
    # The same portfolio in the browser, as the demo IQA and the demo EQA.
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    for email in ("iqa@demo.test", "eqa@demo.test"):
        client.post("/login", data={"email": email, "password": "demo-password-1"})
        page = client.get(f"/portfolios/{pid}").text
        assert "Signed off" in page and "What the sign-off rests on" in page
        assert "Progress: 17 of 17 criteria met" in page
        client.post("/logout")
    missing = runner.invoke(args=["coverage", "999"])
    assert missing.exit_code == 1 and "There is no portfolio 999" in missing.output
