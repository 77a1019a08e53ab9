"""Finding customers' personal data in text (portfolio/personal_data.py, pure): each kind with
its exact offsets, the ordinary words, numbers and the learner's own name it must leave
alone, and its output for any text (hypothesis). The redaction itself: test_redaction.py."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio.demo import REFLECTIVE_ACCOUNT
from portfolio.personal_data import Finding, context, find, redact, summary


def found(text, **kw):
    return [(f.kind, f.text) for f in find(text, **kw)]


@pytest.mark.parametrize(("text", "kind", "what"), [
    ("Email me at jo.bloggs@example.com today.", "email", "jo.bloggs@example.com"),
    ("Write to <d.hughes@example.co.uk>.", "email", "d.hughes@example.co.uk"),
    ("Her mobile is 07700 900123, thanks.", "phone", "07700 900123"),
    ("Ring +44 (0)161 496 0000 after six.", "phone", "+44 (0)161 496 0000"),
    ("Ring +44 7700 900456 after six.", "phone", "+44 7700 900456"),
    ("Landline 020-7946-0018.", "phone", "020-7946-0018"),
    ("Work 0161 4960000 or home.", "phone", "0161 4960000"),
    ("Sort code 40-47-84 please.", "account_number", "40-47-84"),
    ("Paid from 40-47-84 yesterday.", "account_number", "40-47-84"),
    ("The account number was 12345678.", "account_number", "12345678"),
    ("Quote account no. 123456789 on calls.", "account_number", "123456789"),
    ("Customer reference number: ABC-12345 was given.", "account_number", "ABC-12345"),
    ("Complaint ref NHA-20418 closed.", "account_number", "NHA-20418"),
    ("Customer 40-47-8412345678 rang.", "account_number", "40-47-8412345678"),
    ("Card 4111 1111 1111 1111 was declined.", "card_number", "4111 1111 1111 1111"),
    ("Card 4111111111111111 was declined.", "card_number", "4111111111111111"),
    ("NI number AB 12 34 56 C on file.", "national_insurance", "AB 12 34 56 C"),
    ("Her date of birth: 01/02/1980, she said.", "date_of_birth", "01/02/1980"),
    ("DOB 3rd March 1975.", "date_of_birth", "3rd March 1975"),
    ("Sent to LS1 4AB by courier.", "address", "LS1 4AB"),
    ("He lives at 12 High Street and works.", "address", "12 High Street"),
    ("Flat 3, Rose Court, 12 High Street, Leeds LS1 4AB.", "address",
     "Flat 3, Rose Court, 12 High Street, Leeds LS1 4AB"),
    ("Deliver to Flat 2b, Mill House today.", "address", "Flat 2b, Mill House"),
    ("I rang 3 St Helens Road, M1 1AE.", "address", "3 St Helens Road, M1 1AE"),
    ("Then Mr Hughes phoned back.", "name", "Mr Hughes"),
    ("I wrote to Mrs Grace Okafor first.", "name", "Mrs Grace Okafor"),
    ("Seen by Dr J. Smith at noon.", "name", "Dr J. Smith"),
    ("Ms O'Brien-Smith was happy.", "name", "Ms O'Brien-Smith"),
    ("Mr Hughes's kettle had failed.", "name", "Mr Hughes"),
    ("The customer John Smith was angry.", "name", "John Smith"),
    ("I called the caller, Sam Patel, back.", "name", "Sam Patel"),
    ("Dear Sarah,\nThanks for waiting.", "name", "Sarah"),
    ("Hello Kwame! Your order is ready.", "name", "Kwame"),
    ("Thanks again.\n\nKind regards,\nJoanne Kerr\n", "name", "Joanne Kerr"),
    ("To: Daniel Hughes <d.hughes@example.com>", "name", "Daniel Hughes"),
    ("She said her name was Mia Novak.", "name", "Mia Novak"),
    ("I rang Oliver Brennan to apologise.", "name", "Oliver Brennan"),
])
def test_each_kind_is_found_with_its_exact_offsets(text, kind, what):
    hits = [f for f in find(text) if f.kind == kind]
    assert [f.text for f in hits] == [what]
    f = hits[0]
    assert (f.start, f.end) == (text.index(what), text.index(what) + len(what))
    assert text[f.start:f.end] == f.text


def test_a_name_found_once_is_found_again_wherever_it_appears():
    text = "Mr Hughes rang. Log: D. Hughes, kettle. Hughes was happy; Hughesville is a town."
    assert found(text) == [("name", "Mr Hughes"), ("name", "D. Hughes"), ("name", "Hughes")]
    thread = "To: Daniel Hughes <d@example.com>\n> On 3 May, Daniel Hughes wrote:\n> Yes."
    names = [f for f in find(thread) if f.kind == "name"]
    assert [(f.start, f.text) for f in names] == [
        (4, "Daniel Hughes"), (thread.rindex("Daniel"), "Daniel Hughes")]


def test_labels_say_whose_data_it_is_when_the_words_around_do():
    [email] = find("The customer’s email is jo@example.org.")
    assert email.label == "a customer’s email address"
    assert email.placeholder == "[customer’s email address]"
    [name] = find("I phoned the customer, Mrs Okafor, at 11:15.")
    assert (name.label, name.placeholder) == ("a customer’s name", "[customer’s name]")
    [other] = find("Mr Hughes phoned.")
    assert (other.label, other.placeholder) == ("a person’s name", "[name]")
    # A job or a department is not whose the data is.
    [phone] = find("As a customer service adviser I rang 07700 900123.")
    assert phone.label == "a phone number"


@pytest.mark.parametrize("text", [
    "AC 1.1 and 2.9 are met; LO2 and criterion 1.8; unit 40 (R/506/2151), version 2.",
    "A refund of £45.00, then £1,250 and £10; 48 hours; 3 to 5 working days; 50%.",
    "On 12/03/2024, 2024-03-12, 12 March 2024 and 01-02-24, from 9.30am to 10:30.",
    "It took 14-15 minutes and 2-3 days; model K-200, batch QA-311, case 1234, policy 2024.",
    "Service was slow. Customers were unhappy. Then Sarah said no. Monday Morning came.",
    "Customer Services rang. The Manager agreed. Our Customer Care Team replied.",
    "Dear Customer,\nHi all,\nHello Team!\nRegards,\nThe Complaints Team\n",
    "Write to customer.care@northgate.example or info@example.com for help.",
    "Freephone 0800 123 4567 or 0300 123 4567, both business lines.",
    "I did not want to miss the deadline. Will Power and Grace Period were the projects.",
    "Unit 7 of my Level 2 Customer Service certificate covered feedback cards.",
    "lower case postcodes such as ls1 4ab and names such as mr hughes are not found.",
])
def test_ordinary_words_numbers_dates_and_money_are_left_alone(text):
    assert found(text) == []


def test_the_learners_own_name_and_the_centres_staff_are_never_flagged():
    text = ("Kind regards,\nPriya Shah\nCustomer Care\n\nMs Shah and Priya spoke to Dawn "
            "Matthews; priya@demo.test. Mr Hughes was the customer.")
    known = {"Priya Shah", "priya@demo.test", "Dawn Matthews"}
    assert found(text, known_ok=known) == [("name", "Mr Hughes")]
    assert ("name", "Priya Shah") in found(text)  # only because the caller said so


def test_the_demo_account_flags_the_customer_and_nothing_else():
    hits = find(REFLECTIVE_ACCOUNT, {"Priya Shah"})
    assert {f.text for f in hits} == {"Mr Hughes"} and len(hits) == 2


def test_redact_replaces_each_finding_and_refuses_findings_of_another_text():
    text = "Mr Hughes (07700 900123) wrote from jo@example.com."
    findings = find(text)
    assert redact(text, findings) == "[name] ([phone number]) wrote from [email address]."
    assert redact(text, findings[1:2]) == "Mr Hughes ([phone number]) wrote from jo@example.com."
    stranger = Finding("name", 0, 9, "Mrs Patel", "a person’s name", "name")
    with pytest.raises(ValueError):
        redact(text, [stranger])
    with pytest.raises(ValueError):
        redact(text, [findings[0], findings[0]])


def test_the_summary_counts_each_kind_in_words():
    text = ("The customer John Smith wrote from jo@example.com. Mr Hughes rang from "
            "07700 900123 and wrote from d.hughes@example.com.")
    assert summary(find(text)) == ("2 names (one a customer’s), 2 email addresses (one a "
                                   "customer’s) and 1 phone number")
    assert summary(find("The customer, Mrs Okafor, rang.")) == "1 name (a customer’s)"
    assert summary([]) == ""


def test_context_gives_the_words_around_a_finding():
    text = "word " * 30 + "Mr Hughes\nphoned   about the kettle." + " more" * 30
    f = find(text)[0]
    before, middle, after = context(text, f)
    assert middle == "Mr Hughes" and before.startswith("…") and before.endswith("word ")
    assert after.startswith(" phoned about the kettle.") and after.endswith("…")
    assert context("Mr Hughes", find("Mr Hughes")[0]) == ("", "Mr Hughes", "")


PIECES = st.sampled_from([
    "Mr Hughes", "jo@example.com", "07700 900123", "40-47-84", "12345678", "LS1 4AB",
    "12 High Street", "Dear Sarah,\n", "Regards,\nJoanne Kerr\n", "£45.00", "AC 2.9",
    "4111 1111 1111 1111", "customer ", "Flat 3, ", " ", "\n", ".", ",", "-", "0", "@",
    "D. ", "ref ", "To: "])


@given(st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_findings_index_the_input_and_never_overlap(text):
    findings = find(text)
    end = 0
    for f in findings:
        assert 0 <= f.start < f.end <= len(text) and text[f.start:f.end] == f.text
        assert f.start >= end, "findings overlap"
        end = f.end
    assert redact(text, findings).count("[") >= len(findings)


@pytest.mark.parametrize("hostile", [
    "a" * 100_000 + "@", "a." * 50_000 + "@b", "1" * 200_000, "0 " * 100_000,
    "Mr " * 60_000, "Mr A " * 40_000, "12 " + "Aaa " * 50_000, "Flat 3, " * 25_000,
    "ref 1" * 40_000, "Dear " * 40_000, "Regards,\n" * 20_000, "John " * 40_000,
])
def test_any_text_is_read_in_time_proportional_to_its_length(hostile):
    started = time.perf_counter()
    find(hostile[:200_000])
    assert time.perf_counter() - started < 5  # about half a second each on the 2-core box
