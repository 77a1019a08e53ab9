"""Qualification specs: Unit 40 loads whole; broken files are refused by file and field."""

import shutil
from pathlib import Path

import pytest

from portfolio import create_app
from portfolio.spec import SpecError, load_unit, load_units

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria"
MINI = Path(__file__).parent / "fixtures" / "unit-mini.toml"


@pytest.fixture
def unit40():
    return load_unit(CRITERIA / "unit-40.toml")


def test_every_criteria_file_loads():
    units = load_units(CRITERIA)
    assert "unit-40" in units


def test_unit_40_header(unit40):
    assert unit40.reference == "R/506/2151"
    assert (unit40.level, unit40.credits, unit40.guided_learning_hours) == (3, 4, 22)
    assert unit40.name == "Unit 40: Resolve Customers’ Complaints"
    assert [o.title for o in unit40.outcomes] == [
        "Understand the monitoring and resolution of customers’ complaints",
        "Be able to deal with customers’ complaints"]


def test_unit_40_has_all_seventeen_criteria_in_the_seed_wording(unit40):
    ids = [c.id for c in unit40.criteria]
    assert ids == [f"1.{i}" for i in range(1, 9)] + [f"2.{i}" for i in range(1, 10)]
    seed = (ROOT.parent / "shared" / "seeds" / "004_7ddabe2f02858dbf.txt")
    if seed.exists():  # the seed sits beside the repo here and in CI
        text = seed.read_text(encoding="utf-8")
        for c in unit40.criteria:
            assert f"{c.id} {c.text}" in text, c.id
    assert unit40.criterion("2.7").text == ("Agree solutions with customers that address the "
                                            "complaint and which are within the limits of "
                                            "their own authority")


def test_unit_40_kinds_verbs_and_amplification(unit40):
    assert {c.kind for c in unit40.criteria if c.outcome == "1"} == {"knowledge"}
    assert {c.kind for c in unit40.criteria if c.outcome == "2"} == {"performance"}
    assert all(c.verb and c.text.startswith(c.verb) for c in unit40.criteria)
    assert unit40.criterion("1.1").amplification[0].startswith("Monitoring techniques")
    assert all(unit40.criterion(f"1.{i}").amplification for i in range(1, 9))
    # Corrected: Ofgem and Ofwat are regulators, not a "Financial Ombudsman".
    regulatory = " ".join(unit40.criterion("1.7").amplification)
    assert "Financial Ombudsman Service" in regulatory and "regulator such as" in regulatory


def test_unit_40_says_what_an_assessor_looks_for_where_the_seed_gives_no_amplification(
        unit40):
    lo2 = [c for c in unit40.criteria if c.outcome == "2"]
    assert all(c.looks_for for c in lo2)
    assert not any(c.looks_for for c in unit40.criteria if c.outcome == "1")
    assert any("paraphrasing and clarifying" in line for line in unit40.criterion("2.1").looks_for)
    assert any("Consumer Rights Act 2015" in line for line in unit40.criterion("2.9").looks_for)


def test_unit_40_methods_and_rules(unit40):
    assert set(unit40.methods) == {"direct_observation", "professional_discussion",
                                   "witness_testimony", "expert_witness", "product_evidence",
                                   "reflective_account", "questions_and_answers", "rpl"}
    rules = unit40.rules
    assert rules.performance_methods == {"direct_observation", "product_evidence",
                                         "witness_testimony", "expert_witness"}
    assert "reflective_account" not in rules.performance_methods
    assert rules.currency_window_months > 0
    # The assessment guidance's usual methods.
    assert unit40.criterion("2.9").usual_methods[0] == "witness_testimony"
    assert "product_evidence" in unit40.criterion("2.8").usual_methods
    for cid in ("2.1", "2.3", "2.6", "2.7"):
        assert "direct_observation" in unit40.criterion(cid).usual_methods
    for cid in ("2.2", "2.4", "2.5"):
        assert "professional_discussion" in unit40.criterion(cid).usual_methods
    # The assessor's records and the layout of each.
    assert {m.key: m.record for m in unit40.methods_by("assessor")} == {
        "direct_observation": "observation", "professional_discussion": "discussion"}


def broken(tmp_path, transform) -> Path:
    text = transform(MINI.read_text())
    path = tmp_path / "unit-broken.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("transform,expected", [
    (lambda t: t.replace('title = "Handle Customer Enquiries"\n', ""),
     "unit-broken.toml: title: is missing"),
    (lambda t: t.replace("level = 2", 'level = "two"'),
     "unit-broken.toml: level: must be a whole number, not str"),
    (lambda t: t.replace('id = "2.1"', 'id = "1.1"'),
     "unit-broken.toml: outcomes[1].criteria[0].id: criterion 1.1 appears twice"),
    (lambda t: t.replace('usual_methods = ["product_evidence"]', 'usual_methods = ["telepathy"]'),
     "unit-broken.toml: outcomes[1].criteria[0].usual_methods: unknown evidence method 'telepathy'"),
    (lambda t: t.replace('performance_methods = ["product_evidence"]',
                         'performance_methods = ["role_play"]'),
     "unit-broken.toml: rules.performance_methods: unknown evidence method 'role_play'"),
    (lambda t: t.split("[[outcomes.criteria]]\nid = \"2.1\"")[0],
     "unit-broken.toml: outcomes[1].criteria: learning outcome 2 has no criteria"),
    (lambda t: t.replace('kind = "performance"', 'kind = "practical"'),
     "unit-broken.toml: outcomes[1].kind: must be knowledge or performance"),
    (lambda t: t.replace('author = "learner"', 'author = "robot"', 1),
     "unit-broken.toml: methods.reflective_account.author: must be one of"),
    (lambda t: t.replace('author = "learner"', 'author = "assessor"\nrecord = "video"', 1),
     "unit-broken.toml: methods.reflective_account.record: must be one of observation, "
     "discussion, not 'video'"),
    (lambda t: t.replace('author = "learner"', 'author = "learner"\nrecord = "observation"', 1),
     "unit-broken.toml: methods.reflective_account.record: only an assessor's method"),
    (lambda t: t.replace("[rules]", "[rules\n"),
     "unit-broken.toml: (file): not valid TOML"),
    # Strict: a key the format does not know is refused by name, never ignored.
    (lambda t: t.replace('usual_methods = ["reflective_account"]',
                         'usual_methods = ["reflective_account"]\nguidence = "Typo."'),
     "unit-broken.toml: outcomes[0].criteria[0].guidence: is not a key this format knows"),
    (lambda t: t.replace('usual_methods = ["product_evidence"]',
                         'usual_methods = ["product_evidence"]\nminimum_examples = 2'),
     "unit-broken.toml: outcomes[1].criteria[0].minimum_examples: is not a key this format"),
    (lambda t: t.replace("[rules]", "[rules]\nsimulation_allowed = false"),
     "unit-broken.toml: rules.simulation_allowed: is no longer part of the format"),
    (lambda t: t.replace('summary = "A tiny unit used by the tests."',
                         'summary = "A tiny unit."\nsumary = "x"'),
     "unit-broken.toml: sumary: is not a key this format knows"),
    (lambda t: t.replace('author = "learner"', 'author = "learner"\nlabel = "x"', 1),
     "unit-broken.toml: methods.reflective_account.label: is not a key"),
    (lambda t: t.replace('kind = "performance"', 'kind = "performance"\nweight = 2'),
     "unit-broken.toml: outcomes[1].weight: is not a key"),
    # The rules per criterion: wrong types and references.
    (lambda t: t.replace('usual_methods = ["product_evidence"]',
                         'usual_methods = ["product_evidence"]\nmin_evidence = "two"'),
     "unit-broken.toml: outcomes[1].criteria[0].min_evidence: must be a whole number, not str"),
    (lambda t: t.replace('usual_methods = ["product_evidence"]',
                         'usual_methods = ["product_evidence"]\nmin_evidence = 0'),
     "unit-broken.toml: outcomes[1].criteria[0].min_evidence: must be 1 or more"),
    (lambda t: t.replace('usual_methods = ["product_evidence"]',
                         'usual_methods = ["product_evidence"]\nmeets = ["telepathy"]'),
     "unit-broken.toml: outcomes[1].criteria[0].meets: unknown evidence method 'telepathy'"),
    (lambda t: t.replace('usual_methods = ["product_evidence"]',
                         'usual_methods = ["product_evidence"]\nrange = "channels"'),
     "unit-broken.toml: outcomes[1].criteria[0].range: unknown range 'channels'"),
    (lambda t: t.replace('usual_methods = ["product_evidence"]',
                         'usual_methods = ["product_evidence"]\nsupports = ["product_evidence"]'),
     "unit-broken.toml: outcomes[1].criteria[0].supports: 'product_evidence' is already in "
     "meets"),
    (lambda t: t.replace('usual_methods = ["product_evidence"]',
                         'usual_methods = ["product_evidence"]\nlooks_for = ["Logs it", " "]'),
     "unit-broken.toml: outcomes[1].criteria[0].looks_for[1]: must be a non-empty string"),
    (lambda t: t.replace('kind = "performance"',
                         'kind = "performance"\nrequired_methods = ["reflective_account"]'),
     "unit-broken.toml: outcomes[1].required_methods: 'reflective_account' meets none of"),
])
def test_broken_spec_is_refused_naming_file_and_field(tmp_path, transform, expected):
    with pytest.raises(SpecError) as caught:
        load_unit(broken(tmp_path, transform))
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    path = broken(tmp_path, lambda t: t.replace("level = 2", "level = true")
                  .replace("credits = 1\n", ""))
    with pytest.raises(SpecError) as caught:
        load_unit(path)
    assert len(caught.value.problems) == 2


def test_two_files_with_one_unit_id_are_refused(tmp_path):
    shutil.copy(MINI, tmp_path / "a.toml")
    shutil.copy(MINI, tmp_path / "b.toml")
    with pytest.raises(SpecError, match="b.toml: id: unit id 'unit-mini' is already used by a.toml"):
        load_units(tmp_path)


def test_cli_validate_reports_ok_and_errors(app, tmp_path):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["specs", "validate"])
    assert ok.exit_code == 0, ok.output
    assert "ok: unit-40.toml: Unit 40: Resolve Customers’ Complaints (R/506/2151)" in ok.output
    bad = broken(tmp_path, lambda t: t.replace("level = 2", "level = -"))
    result = runner.invoke(args=["specs", "validate", str(bad)])
    assert result.exit_code == 1
    assert "error: unit-broken.toml: (file): not valid TOML" in result.output


def test_a_second_unit_file_makes_a_second_unit_appear(tmp_path, monkeypatch):
    criteria = tmp_path / "criteria"
    criteria.mkdir()
    shutil.copy(CRITERIA / "unit-40.toml", criteria)
    shutil.copy(MINI, criteria)
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "CRITERIA_DIR": str(criteria),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                     instance_path=str(tmp_path / "instance"))
    assert set(app.extensions["units"]) == {"unit-40", "unit-mini"}
    mini = app.extensions["units"]["unit-mini"]
    assert [c.id for c in mini.criteria] == ["1.1", "2.1"]


def test_a_broken_file_does_not_take_the_others_down(tmp_path):
    criteria = tmp_path / "criteria"
    criteria.mkdir()
    shutil.copy(CRITERIA / "unit-40.toml", criteria)
    (criteria / "unit-bad.toml").write_text("id = \n")
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "CRITERIA_DIR": str(criteria),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                     instance_path=str(tmp_path / "instance"))
    assert set(app.extensions["units"]) == {"unit-40"}
    assert app.extensions["unit_problems"][0].startswith("unit-bad.toml: (file): not valid TOML")


def test_unit_40_rules_follow_its_assessment_guidance(unit40):
    c = unit40.criterion
    for cid in ("2.2", "2.4", "2.5"):  # explanations: the professional discussion meets them
        assert "professional_discussion" in c(cid).meets
    for cid in ("2.1", "2.3", "2.6", "2.7"):  # observation or product evidence
        assert c(cid).meets == {"direct_observation", "product_evidence"}
        assert c(cid).role_of("professional_discussion") == "supports"
    assert c("2.9").meets == {"witness_testimony", "direct_observation"}
    assert c("1.1").meets == unit40.rules.knowledge_methods
    assert unit40.outcome("2").required_methods == ("direct_observation",)
    assert c("2.1").min_evidence == 2
    assert (c("2.3").range, c("2.3").range_min) == ("channels", 2)
    assert unit40.range_of(c("2.3")).labels(["email", "telephone"]) == ["Telephone", "Email"]
    text = (CRITERIA / "unit-40.toml").read_text()
    assert text.count("centre's choice") >= 3  # where a value is not the seed's, it says so
    assert unit40.assessment_requirements.startswith("This unit must be assessed in the "
                                                     "workplace")


def test_a_unit_version_is_the_hash_of_its_text(unit40, tmp_path):
    import hashlib

    text = (CRITERIA / "unit-40.toml").read_text(encoding="utf-8")
    assert unit40.version == hashlib.sha256(text.encode()).hexdigest()
    edited = tmp_path / "unit-40.toml"
    edited.write_text(text.replace("currency_window_months = 24", "currency_window_months = 36"))
    assert load_unit(edited).version != unit40.version


def test_cli_validate_names_a_misspelt_key(app, tmp_path):
    bad = broken(tmp_path, lambda t: t.replace(
        'usual_methods = ["reflective_account"]',
        'usual_methods = ["reflective_account"]\nguidence = "Typo."'))
    result = app.test_cli_runner().invoke(args=["specs", "validate", str(bad)])
    assert result.exit_code == 1
    assert "error: unit-broken.toml: outcomes[0].criteria[0].guidence: is not a key" in \
        result.output
