"""One reading of each file for everything that reads evidence: the quotes' readable text, the
criteria suggestions (which rank that text) and the personal-data check all take a file's
text from file_text.py, made in the sandbox at upload and kept beside the file; and the
evidence page's personal-data scan is kept, so a view reads nothing from the store twice."""

import pytest
from test_redaction import ACCOUNT, upload

from portfolio import sandbox
from portfolio.evidence import personal
from portfolio.evidence.passages import readable
from portfolio.evidence.personal import known_ok, scan
from portfolio.file_text import text_of
from portfolio.suggestions.services import suggestions_for
from portfolio.units import all_units


@pytest.fixture
def store(app):
    return app.extensions["evidence_store"]


@pytest.fixture
def no_sandbox(monkeypatch):
    """After upload, nothing may parse a file again."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"the sandbox was asked again: {args[:1]}")
    monkeypatch.setattr(sandbox, "run", refuse)


def test_quotes_suggestions_and_personal_data_read_the_file_once_the_same_way(
        app, db, people, portfolios, store, no_sandbox):
    learner = people["learner"]
    evidence = upload(app, db, portfolios["own"], learner)
    f = evidence.files[0]
    kept = text_of(store, f.sha256, f.mime_type).text.strip()
    text = readable(evidence).text
    assert kept and kept in text  # the readable text's file part is the kept reading
    assert "To: Daniel Hughes <d.hughes@example.com>" in text
    found = scan(evidence, store, known_ok(evidence.portfolio))
    emails = [g for g in found.groups if g.source == f"file:{f.id}" and g.kind == "email"]
    assert emails and all(kept[x.start:x.end] == x.text for g in emails for x in g.findings)
    shown = suggestions_for(evidence, all_units()["unit-40"])
    assert shown.ranking is not None
    quotes = [q for s in shown.ranking.suggestions for q in s.quotes]
    assert quotes and all(text[q.start:q.end] == q.text for q in quotes)


def test_the_evidence_page_reads_the_store_once_for_personal_data(
        app, db, people, portfolios, browser, monkeypatch):
    learner = people["learner"]
    evidence = upload(app, db, portfolios["own"], learner, account=ACCOUNT)
    reads = []
    real = personal.text_of
    monkeypatch.setattr(personal, "text_of", lambda *a: reads.append(a[1]) or real(*a))
    browser.login(learner)
    for _ in range(3):
        page = browser.client.get(f"/evidence/{evidence.id}")
        assert page.status_code == 200 and "Personal data found" in page.text
        assert "07700 900123" in page.text
    assert reads == [evidence.files[0].sha256]


def test_a_kept_scan_is_never_stale(app, db, people, portfolios, store, make_user):
    evidence = upload(app, db, portfolios["own"], people["learner"], account="No one here.")
    before = scan(evidence, store, known_ok(evidence.portfolio))
    assert not [g for g in before.groups if g.source == "account_md"]
    evidence.account_md = "I rang jo.bloggs@example.com back."  # any change of the words
    after = scan(evidence, store, known_ok(evidence.portfolio))
    assert [g.text for g in after.groups if g.source == "account_md"] == ["jo.bloggs@example.com"]
    # A member of staff joins with a name the email's text holds: no longer flagged.
    named = {g.text for g in after.groups if g.kind == "name"}
    assert "Daniel Hughes" in named
    make_user("assessor", "Daniel Hughes", "d.hughes@example.com")
    again = {g.text for g in scan(evidence, store, known_ok(evidence.portfolio)).groups}
    assert "Daniel Hughes" not in again and "d.hughes@example.com" not in again


def test_a_scan_that_could_not_read_a_file_is_not_kept(app, db, people, portfolios, store,
                                                       tmp_path):
    evidence = upload(app, db, portfolios["own"], people["learner"])
    f = evidence.files[0]
    saved = tmp_path / "saved.eml"
    saved.write_bytes(store.path(f.sha256).read_bytes())
    store.blobs.delete(store.key(f.sha256))
    missing = scan(evidence, store, known_ok(evidence.portfolio))
    assert missing.unread and "missing from the evidence store" in missing.unread[0]
    store.blobs.put(store.key(f.sha256), saved)  # the store is back
    back = scan(evidence, store, known_ok(evidence.portfolio))
    assert not back.unread and back.groups


def test_the_kept_scans_hold_a_bounded_amount_of_text(monkeypatch):
    from portfolio.evidence import personal
    from portfolio.file_text import FileText

    monkeypatch.setattr(personal, "SCAN_CHARS_KEPT", 1_000)

    def scan_of(chars: int):
        return personal.Scan(texts={"file:1": FileText("x" * chars)})
    kept = personal._Kept()
    for n in range(4):
        kept.put(f"s{n}", scan_of(300))
    assert list(kept.scans) == ["s1", "s2", "s3"] and kept.chars == 900  # the oldest went
    kept.put("s2", scan_of(100))  # kept again under the same fingerprint: counted once
    assert kept.chars == 700 and list(kept.scans) == ["s1", "s3", "s2"]
    kept.put("huge", scan_of(1_001))  # more than the whole budget: not kept, nothing evicted
    assert kept.get("huge") is None and list(kept.scans) == ["s1", "s3", "s2"]
    kept.put("plain", personal.Scan())  # a scan with no files costs nothing
    assert kept.chars == 700 and kept.get("plain") is not None
