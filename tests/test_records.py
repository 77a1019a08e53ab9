"""The assessor's records (direct observation, professional discussion), which the learner
confirms or disputes."""

from datetime import date

import pytest
from sqlalchemy import select

from portfolio.assessment.services import RecordFields, respond_to_record, save_record
from portfolio.errors import DomainError, Locked, NotAllowed
from portfolio.facts import coverage_for
from portfolio.models import AuditEvent, Evidence, EvidenceResponse, Notification
from portfolio.units import all_units

UNIT = "unit-40"


def criterion(portfolio, criterion_id):
    coverage = coverage_for(portfolio, all_units()[UNIT], date.today())
    return next(c for c in coverage.criteria if c.criterion.id == criterion_id)


def observation_data(**overrides):
    data = {"dated": date.today().isoformat(), "start_time": "10:30", "duration_minutes": "25",
            "place": "Contact centre, complaints desk",
            "account_md": "Priya took a call from an upset customer about a late delivery.",
            "seen_2_1": "y", "notes_2_1": "Confirmed the order, the delay and its effect.",
            "seen_2_2": "y", "notes_2_2": "Said she would own the case and call back by 3pm."}
    data.update(overrides)
    return data


@pytest.fixture
def observation(db, people, portfolios):
    record = save_record(
        portfolios["own"], all_units()[UNIT],
        RecordFields(method="direct_observation", dated=date.today(), start_time=None,
                     duration_minutes=20, place="Complaints desk", questions_md="",
                     account_md="Priya handled a complaint about a missed refund."),
        {"2.1": "Confirmed the cause.", "2.2": "Owned the case."},
        assessor=people["assessor"], today=date.today())
    db.session.commit()
    return record


def test_assessor_records_an_observation_and_its_criteria_are_met(db, browser, client,
                                                                   people, portfolios):
    browser.login(people["assessor"])
    url = f"/portfolios/{portfolios['own'].id}/records/new/direct_observation"
    assert "Record a direct observation with Learner" in client.get(url).text
    response = browser.submit(url, observation_data())
    assert response.status_code == 302
    record = db.session.scalar(select(Evidence))
    assert record.author_id == people["assessor"].id and record.method == "direct_observation"
    assert record.place == "Contact centre, complaints desk"
    assert record.start_time.strftime("%H:%M") == "10:30"
    assert record.title.startswith("Direct observation, ")
    assert {c.criterion_id: c.state for c in record.claims} == {"2.1": "accepted",
                                                                "2.2": "accepted"}
    assert criterion(portfolios["own"], "2.2").met  # observation is a performance method
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["learner"].id)).message.endswith(
        "Please check it and confirm it is accurate, or dispute it.")
    assert "record.added" in db.session.scalars(select(AuditEvent.action)).all()
    page = client.get(response.headers["Location"]).text
    assert "What the learner did" in page and "Not yet confirmed" in page


def test_an_observation_needs_place_time_account_and_notes(db, browser, people, portfolios):
    browser.login(people["assessor"])
    url = f"/portfolios/{portfolios['own'].id}/records/new/direct_observation"
    response = browser.submit(url, observation_data(place="", start_time="", account_md="",
                                                    notes_2_1=""))
    assert response.status_code == 422
    for message in ("Say where the observation took place.", "Give the time of the "
                    "observation.", "Describe what the learner did.",
                    "Say what you saw or heard for AC 2.1."):
        assert message in response.text
    assert "Said she would own the case" in response.text  # what was typed is kept
    response = browser.submit(url, observation_data(seen_2_1="", seen_2_2=""))
    assert response.status_code == 422 and "Tick at least one criterion" in response.text
    assert db.session.query(Evidence).count() == 0


def test_a_professional_discussion_needs_questions_and_a_duration(db, browser, people,
                                                                   portfolios):
    browser.login(people["assessor"])
    url = f"/portfolios/{portfolios['own'].id}/records/new/professional_discussion"
    data = {"dated": date.today().isoformat(), "questions_md": "", "duration_minutes": "",
            "account_md": "She explained the cost of admitting liability.",
            "seen_1_7": "y", "notes_1_7": "Explained cost and FCA rules."}
    response = browser.submit(url, data)
    assert response.status_code == 422
    assert "List the questions you asked." in response.text
    assert "Give the length in minutes." in response.text
    data.update(questions_md="1. What happens if we admit liability?", duration_minutes="30")
    assert browser.submit(url, data).status_code == 302
    record = db.session.scalar(select(Evidence))
    assert record.duration_minutes == 30 and record.questions_md.startswith("1. What")
    assert criterion(portfolios["own"], "1.7").met  # discussion meets knowledge criteria


def test_a_discussion_alone_cannot_meet_a_performance_criterion(db, people, portfolios):
    save_record(portfolios["own"], all_units()[UNIT],
                RecordFields(method="professional_discussion", dated=date.today(),
                             start_time=None, duration_minutes=30, place="",
                             questions_md="Why did you take ownership?",
                             account_md="She explained why she kept the case."),
                {"2.2": "Explained why she kept the case."},
                assessor=people["assessor"], today=date.today())
    db.session.commit()
    assert criterion(portfolios["own"], "2.2").status == "needs_workplace"


@pytest.mark.parametrize("who,code", [("other_assessor", 404), ("iqa", 403), ("learner", 403),
                                      ("admin", 403)])
def test_only_the_learners_assessor_records(db, browser, client, people, portfolios, who, code):
    browser.login(people[who])
    url = f"/portfolios/{portfolios['own'].id}/records/new/direct_observation"
    assert client.get(url).status_code == code
    with pytest.raises(NotAllowed):
        save_record(portfolios["own"], all_units()[UNIT],
                    RecordFields("direct_observation", date.today(), None, None, "Desk", "",
                                 "Account"), {"2.1": "x"}, assessor=people[who],
                    today=date.today())


def test_a_learners_method_is_not_an_assessor_record(browser, client, people, portfolios):
    browser.login(people["assessor"])
    url = f"/portfolios/{portfolios['own'].id}/records/new/reflective_account"
    assert client.get(url).status_code == 404


def test_learner_cannot_change_tag_or_delete_the_assessors_record(db, browser, client, people,
                                                                   observation):
    browser.login(people["learner"])
    page = client.get(f"/evidence/{observation.id}").text
    assert "Tag criteria" not in page and "Revise" not in page and ">Delete<" not in page
    assert "Is this an accurate record of what happened?" in page
    response = client.get(f"/evidence/{observation.id}/edit", follow_redirects=True)
    assert "only they can change it" in response.text
    response = client.get(f"/evidence/{observation.id}/claims", follow_redirects=True)
    assert "they choose its criteria" in response.text
    assert client.get(f"/evidence/{observation.id}/delete").status_code == 409
    assert client.get(f"/evidence/{observation.id}/record").status_code == 403


def test_learner_confirms_the_record(db, browser, client, people, observation):
    browser.login(people["learner"])
    response = browser.submit(f"/evidence/{observation.id}/response",
                              {"response": "confirmed", "comment": ""},
                              form_url=f"/evidence/{observation.id}")
    assert response.status_code == 302
    answer = db.session.scalar(select(EvidenceResponse))
    assert (answer.response, answer.evidence_version) == ("confirmed", 1)
    assert "Confirmed as accurate" in client.get(f"/evidence/{observation.id}").text
    # A confirmation tells nobody; the assessor is told only of disputes.
    assert not db.session.scalar(select(Notification).where(
        Notification.user_id == people["assessor"].id))


def test_a_dispute_needs_a_comment_stops_the_record_counting_and_tells_the_assessor(
        db, browser, client, people, portfolios, observation):
    browser.login(people["learner"])
    url = f"/evidence/{observation.id}/response"
    response = browser.submit(url, {"response": "disputed", "comment": ""},
                              form_url=f"/evidence/{observation.id}")
    assert response.status_code == 422
    assert "Say what is wrong with the record" in response.text
    response = browser.submit(url, {"response": "disputed",
                                    "comment": "I did not promise a call back by 3pm."},
                              form_url=f"/evidence/{observation.id}")
    assert response.status_code == 302
    gap = criterion(portfolios["own"], "2.2")
    assert gap.status == "disputed" and gap.status_label == "Record disputed"
    assert any("I did not promise a call back by 3pm." in r for r in gap.reasons)
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["assessor"].id)).message.startswith(
        "Learner disputes your record")
    assert "record.disputed" in db.session.scalars(select(AuditEvent.action)).all()


def test_an_amended_record_is_a_new_version_to_confirm_again(db, browser, client, people,
                                                             portfolios, observation):
    respond_to_record(observation, all_units()[UNIT], "disputed", "The time is wrong.",
                      learner=people["learner"])
    db.session.commit()
    browser.login(people["assessor"])
    url = f"/evidence/{observation.id}/record"
    form = client.get(url).text
    assert "Already on this record" in form
    response = browser.submit(url, {
        "dated": date.today().isoformat(), "start_time": "14:00", "duration_minutes": "20",
        "place": "Complaints desk", "account_md": "Priya handled a complaint at 2pm.",
        "notes_2_1": "Confirmed the cause.", "notes_2_2": "Owned the case.",
        "seen_2_3": "y", "notes_2_3": "Acknowledged the customer's frustration.",
        "note": "Corrected the time."})
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(Evidence, observation.id)
    assert record.version == 2 and record.latest_response is None  # asked again
    assert record.versions[-1].note == "Corrected the time."
    assert {c.criterion_id: c.state for c in record.claims} == {
        "2.1": "accepted", "2.2": "accepted", "2.3": "accepted"}
    assert criterion(portfolios["own"], "2.2").met  # the old dispute was about version 1
    assert len(record.responses) == 1  # and it is kept


def test_an_amendment_cannot_drop_a_recorded_criterion(db, people, portfolios, observation):
    with pytest.raises(Locked, match="refer its claim"):
        save_record(portfolios["own"], all_units()[UNIT],
                    RecordFields("direct_observation", date.today(), None, 20, "Desk", "",
                                 "Account"), {"2.1": "Confirmed."}, assessor=people["assessor"],
                    today=date.today(), evidence=observation, expected_version=1)


def test_only_the_learner_answers_a_record_and_only_an_assessors_record(
        db, people, portfolios, observation, make_evidence):
    unit = all_units()[UNIT]
    with pytest.raises(NotAllowed):
        respond_to_record(observation, unit, "confirmed", "", learner=people["assessor"])
    own = make_evidence(portfolios["own"])
    with pytest.raises(DomainError, match="Only an assessor's record"):
        respond_to_record(own, unit, "confirmed", "", learner=people["learner"])
