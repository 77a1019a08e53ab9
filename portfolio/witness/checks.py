"""What makes a witness statement believable, and what an assessor should look at twice.

Refusals (the statement is not taken): a contact that is neither an email address nor a UK
phone number; a relationship that is not on the list (or "other" without saying what); a
typed signature that is not the name the learner gave for the witness (case and spaces
aside); a relative. Flags (shown to the assessor, never a refusal, because each has innocent
explanations): the witness's address at the learner's own email domain, a statement signed
within minutes of the request, or sent from the address the learner last signed in from.

Addresses are kept only as keyed fingerprints (HMAC-SHA256 with the app's secret key): they
can be compared, not read back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..tokens import address_fingerprint

# How the witness knows the learner's work: (key, label). "other" needs words.
RELATIONSHIPS = (("line_manager", "Line manager"), ("supervisor", "Supervisor"),
                 ("colleague", "Colleague"), ("customer", "Customer"),
                 ("other", "Other (say what)"))
RELATIONSHIP_LABELS = dict(RELATIONSHIPS)
# How the assessor checked that the witness wrote it: (key, label).
VERIFICATIONS = (("phoned", "Phoned the witness"), ("emailed", "Emailed the witness"),
                 ("met", "Met the witness"), ("known", "The witness is known to me"))
VERIFICATION_LABELS = dict(VERIFICATIONS)
SIGNED_SOON = timedelta(minutes=10)  # sooner than this after the request is worth a look

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
# UK numbers: 0 or +44 (or 0044), then 9 or 10 digits; spaces, dashes, dots and brackets
# are allowed between digits.
_UK_PHONE = re.compile(r"^(?:\+44|0044|0)\d{9,10}$")
# Words that name a relative: "my mother" is not a witness. Words with other meanings at work
# ("partner", "parent company", "stepped in") are left out: a refusal must be sure.
_RELATIVES = re.compile(
    r"\b(mother|mum|mom|father|dad|sister|brother|sibling|son|daughter|wife|husband|"
    r"spouse|aunt|uncle|cousin|niece|nephew|"
    r"(?:grand|step)(?:mother|father|parent|son|daughter|child|ma|pa|mum|dad|brother|sister)|"
    r"\w+-in-law|fianc[ée]e?|girlfriend|boyfriend|relative)s?\b", re.IGNORECASE)


def contact_problem(contact: str) -> str:
    """Why `contact` will not do as a way to check the statement, or "" if it will."""
    text = contact.strip()
    if "@" in text:
        return "" if _EMAIL.match(text) else (
            f"“{text}” is not a valid email address: give one such as name@employer.co.uk.")
    digits = re.sub(r"[\s\-.()]", "", text)
    if _UK_PHONE.match(digits):
        return ""
    return (f"“{text}” is neither an email address nor a UK phone number: give one the "
            "centre can use to check this statement with you, such as 0161 496 0000 or "
            "name@employer.co.uk.")


def relationship_problem(kind: str, other: str) -> str:
    if kind not in RELATIONSHIP_LABELS:
        return "Choose how you know the learner's work from the list."
    if kind == "other" and not other.strip():
        return "You chose “Other”: say how you know the learner's work."
    if _RELATIVES.search(other or ""):
        return ("A witness testimony cannot come from a relative of the learner: ask "
                "someone who saw their work, such as a manager, colleague or customer.")
    return ""


def relative_named(text: str) -> bool:
    """Does the learner's description of the relationship name a relative?"""
    return bool(_RELATIVES.search(text or ""))


def same_name(typed: str, given: str) -> bool:
    """A typed signature matches the name given for the witness, case and spaces aside."""
    def norm(s: str) -> str:
        return " ".join(s.split()).casefold()
    return bool(norm(typed)) and norm(typed) == norm(given)


def fingerprint(address: str | None) -> str:
    """A keyed fingerprint of an IP address: comparable, not readable."""
    return address_fingerprint(address, str(current_app.config["SECRET_KEY"]))


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


@dataclass(frozen=True)
class Flag:
    code: str
    text: str


def flags_for(request, learner) -> list[Flag]:
    """What the assessor should check about a signed statement (never a refusal)."""
    out = []
    domain = _domain(request.witness_email)
    if domain and domain == _domain(learner.email):
        out.append(Flag("same-domain", f"The witness's email address is at {domain}, the "
                                       "same domain as the learner's own address."))
    if request.used_at and request.used_at - request.created_at < SIGNED_SOON:
        minutes = max(1, int((request.used_at - request.created_at).total_seconds() // 60))
        out.append(Flag("quick", f"Signed {minutes} minute{'s' if minutes != 1 else ''} after "
                                 "the learner asked: quicker than a witness usually answers."))
    if request.signed_ip and request.signed_ip == (learner.last_login_ip or None):
        out.append(Flag("learner-address", "Sent from the same internet address the learner "
                                           "last signed in from."))
    return out
