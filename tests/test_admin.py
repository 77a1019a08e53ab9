"""Admin pages: create accounts, enrol a learner with an assessor and a different IQA."""

from sqlalchemy import select

from portfolio.models import Portfolio, User


def test_admin_creates_an_account_with_a_generated_password(db, browser, people):
    browser.login(people["admin"])
    response = browser.submit("/admin/users/new", {"name": "Sam Lee", "email": "sam@test.example",
                                                   "role": "learner", "password": ""},
                              follow_redirects=True)
    assert "Created learner account for Sam Lee" in response.text
    assert "Their password is" in response.text
    assert db.session.scalar(select(User).where(User.email == "sam@test.example")).role == "learner"


def test_duplicate_email_is_refused_on_the_form(browser, people):
    browser.login(people["admin"])
    response = browser.submit("/admin/users/new", {"name": "X", "email": people["learner"].email,
                                                   "role": "learner", "password": ""})
    assert response.status_code == 422 and "already an account" in response.text


def test_enrol_and_the_iqa_must_not_be_the_assessor(db, browser, people):
    browser.login(people["admin"])
    data = {"learner": people["learner"].id, "unit": "unit-40",
            "assessor": people["assessor"].id, "iqa": people["iqa"].id}
    response = browser.submit("/admin/enrol", data)
    assert response.status_code == 302
    portfolio = db.session.scalar(select(Portfolio))
    assert (portfolio.assessor_id, portfolio.iqa_id) == (people["assessor"].id, people["iqa"].id)
    again = browser.submit("/admin/enrol", data)
    assert again.status_code == 422 and "already enrolled" in again.text
    wrong = browser.submit("/admin/enrol", {**data, "learner": people["other_learner"].id,
                                            "iqa": people["assessor"].id})
    assert wrong.status_code == 422  # an assessor is not offered as IQA at all
