"""What changed between two versions: pure, on plain dicts."""

from portfolio.changes import compare, paragraphs

V1 = {"title": "Email", "method": "product_evidence", "dated": "2026-10-01", "context": "",
      "account_md": "First.\n\nSecond.\n\nThird.\n\nFourth.\n\nFifth.\n\nSixth.",
      "files": [{"sha256": "a" * 64, "name": "old.txt"}],
      "rationales": {"2.1": "Paragraph 1.", "2.7": "Paragraph 2."}}


def test_nothing_changed_is_falsy():
    assert not compare(V1, dict(V1))


def test_changed_paragraphs_with_one_either_side_and_a_skip_marker():
    after = dict(V1, account_md="First.\n\nSecond, now longer.\n\nThird.\n\nFourth.\n\n"
                                "Fifth.\n\nSixth!")
    (change,) = compare(V1, after).fields
    assert change.label == "Account"
    assert [(p.op, p.text) for p in change.paragraphs] == [
        ("same", "First."), ("removed", "Second."), ("added", "Second, now longer."),
        ("same", "Third."), ("same", "…"), ("same", "Fifth."), ("removed", "Sixth."),
        ("added", "Sixth!")]


def test_short_fields_files_and_rationales():
    after = dict(V1, title="Email thread", dated="2026-10-02",
                 files=[{"sha256": "b" * 64, "name": "new.txt"}],
                 rationales={"2.1": "Paragraph 1.", "2.7": "Paragraphs 2 and 3.",
                             "2.6": "The last email."})
    changes = compare(V1, after)
    assert [(f.label, f.before, f.after) for f in changes.fields] == [
        ("Title", "Email", "Email thread"), ("Date of the work", "2026-10-01", "2026-10-02")]
    assert [f["name"] for f in changes.files_added] == ["new.txt"]
    assert [f["name"] for f in changes.files_removed] == ["old.txt"]
    assert [(r.criterion_id, r.before, r.after) for r in changes.rationales] == [
        ("2.6", None, "The last email."), ("2.7", "Paragraph 2.", "Paragraphs 2 and 3.")]


def test_windows_line_endings_are_not_a_change():
    assert paragraphs("One.\n\nTwo.", "One.\r\n\r\nTwo.") == ()
