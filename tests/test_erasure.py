"""Erasing a portfolio past retention (issue 18): every row and file of it goes, a file whose
bytes another portfolio has stays, nothing of the learner is left anywhere but an anonymised
trail, what verifies still verifies, and a table nobody taught the erasure fails a test."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from retention_support import (
    EMAIL,
    LONG_AGO,
    NAME,
    SECRET,
    SHARED,
    TODAY,
    TRACES,
    confirm,
    dump,
    end_long_ago,
    files_under,
    make_centre,
    owned_rows,
)
from sqlalchemy import MetaData, Table, func, select

from portfolio.audit import AuditAction
from portfolio.models import (
    AuditEvent,
    Evidence,
    LoginSession,
    Notification,
    Portfolio,
    PortfolioSummary,
    User,
)
from portfolio.retention.anonymise import ACCOUNT_TABLES, STAFF_ONLY
from portfolio.retention.erase import PORTFOLIO_TABLES, erase
from portfolio.storage import EvidenceStore
from portfolio.units import all_units


@pytest.fixture
def centre(app, db, people, make_evidence, browser):
    return make_centre(app, db, people, make_evidence, browser)


def test_erasing_removes_every_row_and_file_and_keeps_an_anonymised_trail(
        app, db, client, browser, people, centre):
    own, other = centre["own"], centre["other"]
    evidence_dir, export_dir = Path(app.config["EVIDENCE_DIR"]), Path(app.config["EXPORT_DIR"])
    store = app.extensions["evidence_store"]
    owned = owned_rows(db, own)
    assert set(owned) >= {"evidence", "evidence_file", "evidence_version", "evidence_response",
                          "claim", "decision", "witness_request", "signature", "sample",
                          "sample_check", "sample_action", "export_job", "notification",
                          "eqa_grant_portfolio", "portfolio_summary"}
    trail = {e.id: (e.actor_id, e.actor_email, e.action, e.summary, e.detail_json,
                    e.created_at) for e in db.session.scalars(select(AuditEvent))}
    mine = set(db.session.scalars(select(AuditEvent.id).where(AuditEvent.portfolio_id == own)))
    assert db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == centre["learner"])) == 1
    other_files = files_under(evidence_dir / centre["shared"][:2])
    before_store = files_under(evidence_dir, export_dir)
    assert any(NAME.encode() in data for data in before_store.values())

    browser.login(people["admin"])
    page = client.get(f"/admin/retention/{own}/erase").text
    assert "1 file is kept in the store, because another portfolio has the same file" in page
    assert "The learner’s account: their name" in page
    done = confirm(browser, own, typed_name="  zara   QUENNELL ", understood="y")
    assert done.status_code == 302, done.text
    assert "Erased the records of portfolio" in client.get("/admin/retention").text
    db.session.expire_all()

    # Every row that belonged to the portfolio is gone, and the learner's account with it.
    for table, keys in owned.items():
        pk = db.metadata.tables[table].primary_key.columns
        still = [k for k in keys if db.session.execute(select(db.metadata.tables[table]).where(
            *[c == v for c, v in zip(pk, k, strict=True)])).first() is not None]
        assert not still, f"{table} still holds {still}"
    assert db.session.get(User, centre["learner"]) is None
    assert db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == centre["learner"])) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == centre["learner"])) == 0
    # Nothing of her, her witness or her evidence is anywhere in the database...
    text_dump = dump(db)
    for trace in TRACES:
        assert trace.lower() not in text_dump.lower(), trace
    if db.engine.dialect.name == "sqlite":  # ...not even in the file's free pages
        raw = Path(db.engine.url.database).read_bytes().lower()
        for trace in TRACES:
            assert trace.lower().encode() not in raw, trace
    # ...nor in the store: her files and the copies made of them, her exports, the pack.
    after_store = files_under(evidence_dir, export_dir)
    for path, data in after_store.items():
        for trace in TRACES:
            assert trace.encode() not in data, (path, trace)
    assert not store.exists(centre["letter"])
    assert store.print_copy(centre["letter"], 1100) is None
    assert store.normalised(centre["letter"]) is None
    assert not (export_dir / "packs" / "pack-9.zip").exists()
    assert not list((export_dir / f"portfolio-{own}").glob("*"))
    # The file whose bytes the other portfolio has stays, and still downloads there.
    assert store.exists(centre["shared"])
    assert files_under(evidence_dir / centre["shared"][:2]) == other_files
    ev = db.session.scalar(select(Evidence).where(Evidence.portfolio_id == other))
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["other_learner"])
    with client.get(f"/evidence/{ev.id}/files/{ev.files[0].id}") as got:
        assert got.status_code == 200 and got.data == SHARED

    # The trail keeps every event: the portfolio's anonymised, the others untouched.
    now = {e.id: e for e in db.session.scalars(select(AuditEvent))}
    assert set(trail) <= set(now)
    tombstone = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == AuditAction.PORTFOLIO_ERASED))
    assert tombstone.portfolio_id == own and tombstone.actor_id == people["admin"].id
    assert tombstone.detail["enrolled"] == f"{LONG_AGO.year - 2}-03"
    assert tombstone.detail["ended"] == f"{LONG_AGO.year}-03"
    assert tombstone.detail["removed"]["evidence"] == 5
    assert tombstone.detail["removed"]["signatures"] == 2
    assert tombstone.detail["files_kept_shared"] == 1 and tombstone.detail["account"] == \
        "deleted"
    for event_id in mine:
        assert now[event_id].detail == {"erased_with": tombstone.id}
        assert now[event_id].actor_id != centre["learner"]
        assert now[event_id].created_at == trail[event_id][5]
        assert now[event_id].action == trail[event_id][2]
    assert any(now[i].actor_email == "erased learner" for i in mine)
    untouched = [i for i, row in trail.items() if i not in mine and NAME not in row[3]
                 and EMAIL not in row[3] + row[4] and row[0] != centre["learner"]
                 and f'"user_id": {centre["learner"]}' not in row[4]]
    assert untouched  # the other portfolio's events, the staff's accounts...
    for i in untouched:
        e = now[i]
        assert (e.actor_id, e.actor_email, e.action, e.summary, e.detail_json,
                e.created_at) == trail[i]
    grant = next(e for e in now.values() if e.action == "eqa.granted" and e.portfolio_id
                 is None)
    assert "[erased learner]" in grant.summary and people["other_learner"].name in \
        grant.summary
    # The store still verifies: no record names a file that is gone.
    verified = app.test_cli_runner().invoke(args=["store", "verify"])
    assert verified.exit_code == 0, verified.output
    # The portfolio page is gone; the centre trail shows its events, unlinked.
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["admin"])
    assert client.get(f"/portfolios/{own}").status_code == 404
    assert client.get(f"/admin/retention/{own}/erase").status_code == 404
    assert f"#{own} (erased)" in client.get("/admin/audit").text
    # Its number is never given to another portfolio.
    from portfolio.admin.services import enrol

    newcomer = enrol(people["learner"], all_units()["unit-40"], people["assessor"],
                     people["iqa"], actor=people["admin"])
    db.session.commit()
    assert newcomer.id > own


def test_the_account_stays_while_the_learner_has_another_portfolio(
        app, db, people, make_evidence):
    from portfolio.admin.services import enrol

    admin, learner = people["admin"], people["learner"]
    first = enrol(learner, all_units()["unit-40"], people["assessor"], people["iqa"],
                  actor=admin)
    second = Portfolio(learner_id=learner.id, unit_id="unit-mini",
                       assessor_id=people["assessor"].id, iqa_id=people["iqa"].id)
    db.session.add(second)
    db.session.commit()
    make_evidence(first, title="Her first unit's evidence", claims={"1.1": "accepted"})
    kept = make_evidence(second, title="Her second unit's evidence")
    end_long_ago(db, first, admin)
    signed_in = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id == learner.id, AuditEvent.portfolio_id.is_(None)))
    erased = erase(first, actor=admin, typed_name=learner.name, today=TODAY, years=6)
    db.session.commit()
    assert erased.account == "kept"
    assert db.session.get(User, learner.id).name == "Learner"
    assert db.session.get(Evidence, kept.id) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id == learner.id, AuditEvent.portfolio_id.is_(None))) == signed_in
    assert db.session.scalar(select(PortfolioSummary).where(
        PortfolioSummary.portfolio_id == erased.plan.portfolio_id)) is None
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.portfolio_id == erased.plan.portfolio_id,
        AuditEvent.id != erased.tombstone_id)).all()
    assert events and all("erased_with" in e.detail for e in events)
    assert "kept (another portfolio)" in db.session.get(AuditEvent, erased.tombstone_id).summary


def test_an_erased_portfolios_exported_pdf_is_no_longer_named(app, db, people, portfolios,
                                                              make_evidence):
    """`flask verify` of a PDF kept from before the erasure: the signature still checks, and
    the portfolio it names is no longer in the system; another portfolio's PDF is current."""
    from portfolio.export.services import export_portfolio

    own, other = portfolios["own"], portfolios["other"]
    make_evidence(own, title="Email to a customer")
    make_evidence(other, title="Another learner's email")
    pdfs = {}
    for key, p in (("own", own), ("other", other)):
        made = export_portfolio(p, actor=None, today=TODAY)
        db.session.commit()
        pdfs[key] = Path(app.instance_path) / f"{key}.pdf"
        pdfs[key].write_bytes(made.path.read_bytes())
    end_long_ago(db, own, people["admin"])
    erased = erase(own, actor=people["admin"], typed_name="Learner", today=TODAY, years=6)
    db.session.commit()
    from portfolio.retention.erase import remove_files

    assert remove_files(erased).exports == 1
    runner = app.test_cli_runner()
    gone = runner.invoke(args=["verify", str(pdfs["own"])])
    assert gone.exit_code == 0 and "not in this database" in gone.output
    current = runner.invoke(args=["verify", str(pdfs["other"])])
    assert current.exit_code == 0 and "The digest is current" in current.output


def test_a_new_table_referring_to_portfolios_must_be_handled_by_the_erasure(db):
    """Every table that holds a portfolio's rows (a foreign key to it or to one of its
    tables, or a portfolio_id column) is in PORTFOLIO_TABLES, which says what erasure does
    with it; every column naming an account is the portfolio's, the account's own
    (ACCOUNT_TABLES) or staff only (STAFF_ONLY)."""
    assert not unhandled(db.metadata), "\n".join(unhandled(db.metadata))


def test_the_guard_catches_a_table_nobody_taught_the_erasure(db):
    grown = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(grown)
    from sqlalchemy import Column, ForeignKey, Integer, Text

    Table("portfolio_note", grown, Column("id", Integer, primary_key=True),
          Column("portfolio_id", ForeignKey("portfolio.id")), Column("text", Text))
    Table("user_secret", grown, Column("id", Integer, primary_key=True),
          Column("user_id", ForeignKey("users.id")))
    problems = unhandled(grown)
    assert any("portfolio_note" in p for p in problems)
    assert any("user_secret.user_id" in p for p in problems)


def unhandled(metadata) -> list[str]:
    tables = metadata.tables
    held = {"portfolio"}
    grew = True
    while grew:
        grew = False
        for table in tables.values():
            refers = any(fk.column.table.name in held for fk in table.foreign_keys)
            if table.name not in held and (refers or "portfolio_id" in table.c
                                           or "portfolio_ids" in table.c):
                held.add(table.name)
                grew = True
    problems = [f"{name} holds a portfolio's rows: say in retention/erase.py PORTFOLIO_TABLES "
                "what erasing a portfolio does with it, and do it" for name in sorted(held)
                if name not in PORTFOLIO_TABLES]
    problems += [f"{name} is in PORTFOLIO_TABLES but holds no portfolio's rows" for name in
                 sorted(set(PORTFOLIO_TABLES) - held)]
    for table in tables.values():
        for fk in table.foreign_keys:
            name = f"{table.name}.{fk.parent.name}"
            if fk.column.table.name != "users" or table.name in held or name in STAFF_ONLY \
                    or ACCOUNT_TABLES.get(table.name) is not None and \
                    ACCOUNT_TABLES[table.name].name == fk.parent.name:
                continue
            problems.append(f"{name} names an account: add it to ACCOUNT_TABLES (deleted with "
                            "an erased learner's account) or STAFF_ONLY in "
                            "retention/anonymise.py")
    return problems


@pytest.mark.parametrize("where", ["local", "s3"])
def test_the_store_erases_a_file_and_every_copy_of_it(request, tmp_path, where):
    import uuid

    if where == "local":
        store = EvidenceStore(tmp_path / "evidence")
    else:
        from portfolio.blobs import S3Blobs

        request.getfixturevalue("s3_server")
        store = EvidenceStore(S3Blobs("portfolio", f"erase-{uuid.uuid4().hex[:8]}",
                                      tmp_path / "cache"), work=tmp_path / "work")
    staged = store.stage(io.BytesIO(SECRET), 10_000)
    keep = store.stage(io.BytesIO(SHARED), 10_000)
    store.commit(staged)
    store.commit(keep)
    for put in (lambda p: store.put_print_copy(staged.sha256, 1100, p),
                lambda p: store.put_normalised(staged.sha256, p)):
        copy = tmp_path / "copy"
        copy.write_bytes(b"copy")
        put(copy)
    preview = store.preview_path(staged.sha256, 1)
    preview.parent.mkdir(parents=True)
    preview.write_bytes(b"png")
    store.path(staged.sha256)  # read once: a cached copy on S3
    assert store.erase(staged.sha256) == 3
    assert not store.exists(staged.sha256) and store.print_copy(staged.sha256, 1100) is None
    assert store.normalised(staged.sha256) is None and not preview.exists()
    assert store.exists(keep.sha256) and store.path(keep.sha256).read_bytes() == SHARED
    if where == "s3":
        assert not any(SECRET in p.read_bytes() for p in (tmp_path / "cache").rglob("*")
                       if p.is_file())
