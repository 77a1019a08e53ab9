"""Accounts: password hashing, login checks, user creation."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..audit import AuditAction
from ..errors import DomainError, FieldProblem, Problem, refuse
from ..extensions import db
from ..models import LoginSession, PasswordReset, Role, UnknownSignIn, User, utcnow

MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable" online
# Checked when the email is unknown, so a miss costs as long as a hit and timing reveals nothing.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# The password hash of an account with no password yet (learners imported from a CSV set their
# own through "Forgot your password?"): no password matches it, since it has no "$", which
# every hash Werkzeug makes has. Hashing a random password for each of 2,000 rows instead
# would take scrypt's 70 ms each, over two minutes in one request.
NO_PASSWORD = "!none"  # noqa: S105 (a marker that matches no password, not a password)
NAME_MAX, EMAIL_MAX = 120, 254  # the columns' sizes (models/accounts.py)
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@")


def check_password(password: str, *, about: tuple[str, ...] = ()) -> None:
    """The rule for every password set: at least MIN_PASSWORD_LENGTH characters, not
    counting spaces at either end (so a password of spaces alone is refused), and not easy
    to guess: zxcvbn (Dropbox's estimator, with its lists of common passwords, names and
    words, keyboard patterns, repeats and sequences) must score it 3 of 4 or more, counting
    `about` (the person's name and email) as known to an attacker."""
    if len((password or "").strip()) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters, "
                          "not counting spaces at the start or end.")
    from zxcvbn import zxcvbn

    # Its time grows with the length; past 100 characters a password is not guessed anyway.
    words = [w for a in about for w in re.split(r"[\s@._-]+", a.lower()) if len(w) > 2]
    words += [re.sub(r"[\s._-]+", "", a.lower().split("@")[0]) for a in about]
    verdict = zxcvbn(password[:100], user_inputs=words)
    if verdict["score"] < MIN_PASSWORD_SCORE:
        feedback = verdict["feedback"]
        why = feedback.get("warning") or "It would be easy to guess."
        tip = (feedback.get("suggestions") or ["Add another word or two."])[0]
        raise DomainError(f"That password is too easy to guess: {why.rstrip('.')}. {tip} "
                          "A few unrelated words together make a strong password that is "
                          "easy to remember.")


def has_password(user: User) -> bool:
    """Has the account a password yet (not one imported without)?"""
    return user.password_hash != NO_PASSWORD


def _password_matches(user: User, password: str) -> bool:
    """An account with no password yet matches nothing, in the time a real check takes (so
    timing does not tell which accounts have none)."""
    if not has_password(user):
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def hash_password(password: str) -> str:
    """scrypt (Werkzeug's default): memory-hard, salted, parameters kept in the hash."""
    return generate_password_hash(password)


def find_user(email: str) -> User | None:
    # Emails are stored lower-cased (create_user), so the unique index answers this.
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


class AccountLocked(DomainError):
    """Too many wrong passwords in a row: sign-in is refused until `until`."""

    def __init__(self, until: datetime):
        self.until = until
        super().__init__("locked")


class Closed(DomainError):
    """The password was right but the account is closed (a leaver): say so, not "wrong"."""

    def __init__(self, user: User):
        self.user = user
        super().__init__("closed")


LOCK_AFTER = 5  # wrong passwords in a row before the first lock
LOCK_MAX_MINUTES = 60


def lock_minutes(failures: int) -> int:
    """How long the account is locked after this many wrong passwords in a row: none before
    LOCK_AFTER, then 1 minute, doubling with each further wrong one, at most an hour."""
    if failures < LOCK_AFTER:
        return 0
    return min(LOCK_MAX_MINUTES, 2 ** (failures - LOCK_AFTER))


def ensure_not_locked(user: User) -> None:
    """Raise AccountLocked while the account is locked by wrong passwords or codes in a row."""
    if user.locked_until is not None and user.locked_until > utcnow():
        raise AccountLocked(user.locked_until)


def count_failure(user: User) -> None:
    """One more wrong password or two-step code in a row: lock the account for
    lock_minutes, and save that at once (whatever the caller then rolls back)."""
    # Counted in the database (not read, add, write): guesses sent at once all count.
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_logins=User.failed_logins + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user, ["failed_logins"])
    minutes = lock_minutes(user.failed_logins)
    user.locked_until = utcnow() + timedelta(minutes=minutes) if minutes else None
    db.session.commit()


def check_current_password(user: User, password: str | None) -> None:
    """Asked again before a password or two-step setting changes. A wrong one counts towards
    the lock, so a borrowed session cannot be used to guess it."""
    ensure_not_locked(user)
    if not _password_matches(user, password or ""):
        count_failure(user)
        raise FieldProblem("That is not your current password." if has_password(user) else
                           "This account has no password yet: ask for a link with "
                           "“Forgotten your password?” on the sign-in page.", "current")


def end_reset_links(user: User, now: datetime | None = None) -> None:
    """Every unused "forgotten password" link of the account stops working (a newer one, a
    new password or address, or the account closed)."""
    db.session.execute(
        update(PasswordReset).where(PasswordReset.user_id == user.id,
                                    PasswordReset.used_at.is_(None))
        .values(used_at=now or utcnow()).execution_options(synchronize_session=False))


def _count_unknown(email: str) -> None:
    """A wrong sign-in at an address with no account: counted and locked as an account would
    be (AccountLocked while locked), so nobody learns from the answers which addresses have one."""
    key = hashlib.sha256(b"sign-in:" + email.strip().lower().encode()).hexdigest()
    now = utcnow()
    row = db.session.get(UnknownSignIn, key)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise AccountLocked(row.locked_until)
    if row is None:
        db.session.execute(delete(UnknownSignIn).where(  # forget what is a day old
            UnknownSignIn.updated_at < now - timedelta(days=1)))
        row = UnknownSignIn(key_hash=key, failures=0, updated_at=now)
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:  # the same address at the same moment: theirs counts
            db.session.rollback()
            row = db.session.get(UnknownSignIn, key)
    db.session.execute(update(UnknownSignIn).where(UnknownSignIn.key_hash == key)
                       .values(failures=UnknownSignIn.failures + 1, updated_at=now)
                       .execution_options(synchronize_session=False))
    db.session.refresh(row, ["failures"])
    minutes = lock_minutes(row.failures)
    row.locked_until = now + timedelta(minutes=minutes) if minutes else None
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account, else None (no reason why);
    Closed when they match a closed one (only the person who knows the password learns it).

    Wrong passwords in a row lock the account for a growing time (lock_minutes); while it is
    locked every attempt, right or wrong, raises AccountLocked and is not counted, so guessing
    gains nothing and the real user is told why. The count starts again only when the whole
    sign-in is done (auth.views.complete_sign_in): with two-step sign-in on, the right
    password alone does not reset it, so wrong codes between right passwords still lock."""
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        _count_unknown(email)
        return None
    ensure_not_locked(user)
    if not _password_matches(user, password):
        count_failure(user)
        return None
    if not user.active:
        raise Closed(user)
    return user


# No 0/O, 1/I/L: a password read out over the phone is typed right the first time.
_READABLE = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def random_password() -> str:
    """16 characters from 31 (79 bits) in groups of four, e.g. 7KQM-W3XP-HT9R-C4NV."""
    chars = "".join(secrets.choice(_READABLE) for _ in range(16))
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))


def account_problems(*, name: str, email: str, password: str | None) -> list[Problem]:
    """Every rule a new account's details must meet, whoever makes it (the admin's form, the
    command line, a CSV import): a name, a well-formed email address (as the form checks it:
    `.test` addresses allowed, deliverability not checked offline), and a password that
    passes check_password (None: no password yet). Fields: name, email, password."""
    from email_validator import EmailNotValidError, validate_email

    problems = []
    name, email = (name or "").strip(), (email or "").strip()
    if not name:
        problems.append(Problem("name", "Enter the person’s full name."))
    elif len(name) > NAME_MAX:
        problems.append(Problem("name", f"The name is {len(name)} characters long: at most "
                                        f"{NAME_MAX}."))
    elif name.startswith(FORMULA_START):
        problems.append(Problem("name", "A name cannot start with =, +, - or @ (a spreadsheet "
                                        "would run it as a formula)."))
    if not email:
        problems.append(Problem("email", "Enter their email address."))
    elif len(email) > EMAIL_MAX:
        problems.append(Problem("email", f"The email address is {len(email)} characters "
                                         f"long: at most {EMAIL_MAX}."))
    else:
        try:
            validate_email(email, check_deliverability=False, test_environment=True)
        except EmailNotValidError as exc:
            problems.append(Problem("email", f"“{email}” is not an email address. {exc}"))
    if password is not None:
        try:
            check_password(password, about=(name, email))
        except DomainError as exc:
            problems.append(Problem("password", str(exc)))
    return problems


def create_user(*, email: str, name: str, role: str, password: str | None,
                actor: User | None) -> User:
    """A new account, audited. `password` None: no password yet (the person sets their own)."""
    email = email.strip().lower()
    if find_user(email) is not None:
        raise DomainError(f"There is already an account for {email}.")
    refuse(account_problems(name=name, email=email, password=password))
    user = User(email=email, name=name.strip(), role=Role(role).value,
                password_hash=NO_PASSWORD if password is None else hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(AuditAction.USER_CREATED, actor=actor, summary=f"Created {role} account {email}",
                 user_id=user.id, role=role)
    return user


def end_sessions_of(user: User, why: str) -> int:
    """End every sign-in of this account held on the server; how many were live."""
    return db.session.execute(
        update(LoginSession).where(LoginSession.user_id == user.id,
                                   LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_why=why)
        .execution_options(synchronize_session=False)).rowcount


def set_password(user: User, password: str, *, actor: User | None) -> None:
    """A new password ends every sign-in of the account: whoever knew the old one is out."""
    check_password(password, about=(user.name, user.email))
    user.password_hash = hash_password(password)
    end_sessions_of(user, "password changed")
    audit.record(AuditAction.USER_PASSWORD_SET, actor=actor,
                 summary=f"Password set for {user.email}",
                 user_id=user.id)
