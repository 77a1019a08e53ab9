"""Importing learners and their enrolments from a CSV file, all or nothing.

1. `stage`: the file is read (learner_csv.py) and its rows kept in a StagedImport for an hour,
   found by a random token and only by the administrator who uploaded it.
2. `plan_rows`: every row is checked with the rules the forms use (auth.services.
   account_problems, admin.services.enrolment_problems): what will happen, or each problem
   by column. The preview shows this; rows with problems are skipped, and the administrator
   confirms "import the N good rows, skip the M with problems" (README, Importing learners).
3. `confirm`: in one transaction, the staged import is claimed (once: a second confirmation
   finds it taken), every row is checked again, and if any row would now do something other
   than the preview said, or any account or enrolment is refused, nothing is imported and
   the error names the row. Each row writes its own user.created and portfolio.enrolled
   events; the import writes one learners.imported event with the file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update

from .. import audit
from ..audit import AuditAction
from ..auth.services import account_problems, create_user
from ..errors import DomainError
from ..extensions import db
from ..learner_csv import COLUMNS, LearnerFile, Row, read_learners
from ..models import Role, StagedImport, User, utcnow
from ..spec import Unit
from ..text import one_line
from ..tokens import hash_token, new_token
from .services import enrol, enrolment_problems, judge_problems

STAGED_FOR = timedelta(hours=1)
# What a row will do, as the preview shows it and the confirmation checks it.
ERROR, NEW, NEW_ENROL, ENROL = "error", "new", "new+enrol", "enrol"
ROLE_WORDS = {"assessor": "an assessor", "iqa": "an IQA", "admin": "an administrator",
              "eqa": "an external quality assurer"}
LABELS = {"row": "Row", "name": "Name", "email": "Email", "unit": "Unit",
          "assessor": "Assessor", "iqa": "IQA"}


class AlreadyImported(DomainError):
    """The staged import was confirmed already (a double click, a reload, another tab)."""


@dataclass
class RowPlan:
    """One row checked: what it will do, or its problems by column."""

    row: Row
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)
    account: User | None = None  # the learner's existing account
    unit: Unit | None = None
    assessor: User | None = None
    iqa: User | None = None

    @property
    def kind(self) -> str:
        if self.problems:
            return ERROR
        if self.account is not None:
            return ENROL
        return NEW_ENROL if self.unit is not None else NEW

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def email(self) -> str:
        return self.row.cells["email"].strip().lower()

    def what(self) -> str:
        """What importing the row does, in words."""
        enrolment = (f"enrolled on {self.unit.name} with assessor {self.assessor.name} and IQA "
                     f"{self.iqa.name}") if self.unit is not None else ""
        if self.kind == ENROL:
            return f"Has a learner account already: {enrolment}."
        if self.kind == NEW_ENROL:
            return f"New learner account, {enrolment}."
        return "New learner account (no enrolment)."

    def problem_lines(self) -> list[str]:
        """Each problem, prefixed with its column: for the problems CSV and messages."""
        return [f"{LABELS[c]}: {m}" for c in LABELS for m in self.problems.get(c, [])]


def find_unit(value: str, units: dict[str, Unit]) -> Unit | None:
    """A unit by its id or its reference, ignoring case and spaces."""
    wanted = "".join(value.split()).lower()
    return next((u for u in units.values()
                 if wanted in (u.id.lower(), "".join(u.reference.split()).lower())), None)


def _accounts(emails: set[str]) -> dict[str, User]:
    """Every account the file names, by email: one query per 500 addresses, not per row."""
    found, ordered = {}, sorted(e for e in emails if e)
    for i in range(0, len(ordered), 500):
        for user in db.session.scalars(select(User).where(User.email.in_(ordered[i:i + 500]))):
            found[user.email] = user
    return found


def _person(plan: RowPlan, column: str, accounts: dict[str, User]) -> User | None:
    """The assessor's or IQA's account the row names, or a problem saying why not."""
    role = "assessor" if column == "assessor" else "IQA"
    email = plan.row.cells[column].strip().lower()
    if not email:
        plan.problems[column].append(f"Give the {role}’s email address: a learner enrolled "
                                     "on a unit needs one.")
        return None
    person = accounts.get(email)
    if person is None:
        plan.problems[column].append(f"No account for {_short(email)}: make the {role}’s "
                                     "account first (Create an account), or check the address.")
    elif not person.active:
        plan.problems[column].append(f"{person.name}’s account ({email}) is closed.")
        return None
    return person


def _short(value: str, limit: int = 80) -> str:
    value = one_line(value) or ""
    return f"“{value[:limit]}…”" if len(value) > limit else f"“{value}”"


def plan_rows(rows: tuple[Row, ...], units: dict[str, Unit]) -> list[RowPlan]:
    """Check every row against the accounts, enrolments and units as they are now."""
    plans = [RowPlan(row) for row in rows]
    by_email = defaultdict(list)
    for plan in plans:
        if plan.email:
            by_email[plan.email].append(plan.row.number)
    accounts = _accounts({p.row.cells[c].strip().lower() for p in plans
                          for c in ("email", "assessor", "iqa")})
    for plan in plans:
        cells, problems = plan.row.cells, plan.problems
        if plan.row.problem:
            problems["row"].append(plan.row.problem)
        others = [n for n in by_email.get(plan.email, []) if n != plan.row.number]
        if others:
            problems["email"].append(
                f"The same email address is on row {', '.join(map(str, others))}: give each "
                "learner one row (to enrol one learner on two units, import the second unit "
                "in another file).")
        account = accounts.get(plan.email)
        if account is None:
            for p in account_problems(name=cells["name"], email=cells["email"], password=None):
                problems[p.field].append(p.message)
        elif account.role != Role.LEARNER:
            problems["email"].append(f"There is already an account for {account.email}: "
                                     f"{account.name}, {ROLE_WORDS.get(account.role, 'staff')}. "
                                     "A learner needs an email address of their own.")
        elif not account.active:
            problems["email"].append(f"{account.name}’s learner account ({account.email}) is "
                                     "closed.")
        else:
            plan.account = account
            if not cells["unit"]:
                problems["unit"].append(f"{account.name} has a learner account already: give "
                                        "a unit to enrol them on, or take the row out.")
            if cells["name"] and cells["name"].casefold() != account.name.casefold():
                plan.notes.append(f"The account’s name is {account.name}; the name in the "
                                  "file is not used.")
        if cells["unit"]:
            plan.unit = find_unit(cells["unit"], units)
            if plan.unit is None:
                known = "; ".join(f"{u.id} ({u.reference})" for u in units.values())
                problems["unit"].append(f"No unit {_short(cells['unit'])}: use one of "
                                        f"{known or 'the units (none is loaded)'}.")
            plan.assessor = _person(plan, "assessor", accounts)
            plan.iqa = _person(plan, "iqa", accounts)
            if plan.assessor and plan.iqa:  # their roles are checked even if the unit is not
                found = (enrolment_problems(plan.account, plan.unit, plan.assessor, plan.iqa)
                         if plan.unit else judge_problems(plan.assessor, plan.iqa))
                for p in found:
                    problems["email" if p.field == "learner" else p.field].append(p.message)
        elif cells["assessor"] or cells["iqa"]:
            problems["unit"].append("An assessor or IQA is given but no unit: add the unit, "
                                    "or leave the assessor and IQA empty.")
        plan.problems = {c: m for c, m in problems.items() if m}
    return plans


def kinds(plans: list[RowPlan]) -> str:
    """What every row will do, compactly ("2:new,3:error"): the preview's confirmation form
    sends it back, and `confirm` imports only if the rows would still do exactly that."""
    return ",".join(f"{p.row.number}:{p.kind}" for p in plans)


def _content(parsed: LearnerFile) -> str:
    return json.dumps({"encoding": parsed.encoding, "delimiter": parsed.delimiter,
                       "unused": list(parsed.unused),
                       "rows": [[r.number, r.cells, r.problem] for r in parsed.rows]})


def staged_file(staged: StagedImport) -> LearnerFile:
    """The file as it was read at upload."""
    content = json.loads(staged.content_json)
    rows = tuple(Row(n, {c: cells.get(c, "") for c in COLUMNS}, problem)
                 for n, cells, problem in content["rows"])
    return LearnerFile(rows, content["encoding"], content["delimiter"],
                       tuple(content["unused"]))


def stage(data: bytes, file_name: str, *, admin: User, max_bytes: int,
          max_rows: int) -> str:
    """Read the file and keep its rows for `admin` to confirm within STAGED_FOR; the token
    for its preview's address (InvalidUpload when the file cannot be read). Imports past
    their time are deleted here, with the names and addresses they held."""
    parsed = read_learners(data, max_bytes=max_bytes, max_rows=max_rows)
    now = utcnow()
    db.session.execute(delete(StagedImport).where(StagedImport.expires_at < now))
    token = new_token()
    db.session.add(StagedImport(
        token_hash=hash_token(token), admin_id=admin.id,
        file_name=(one_line(file_name) or "upload.csv")[:255],
        file_sha256=hashlib.sha256(data).hexdigest(), content_json=_content(parsed),
        created_at=now, expires_at=now + STAGED_FOR))
    db.session.flush()
    return token


def find_staged(token: str, admin: User) -> StagedImport | None:
    """The staged import of this token, if it is `admin`'s and has not expired: another
    administrator's token finds nothing, as does a made-up one."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(StagedImport).where(
        StagedImport.token_hash == hash_token(token), StagedImport.admin_id == admin.id,
        StagedImport.expires_at > utcnow()))


def _changed(expected: str, plans: list[RowPlan]) -> list[str]:
    """Rows that would now do something else than the preview showed, in words."""
    was = dict(part.split(":", 1) for part in expected.split(",") if ":" in part)
    out = []
    for plan in plans:
        before = was.get(str(plan.row.number))
        if before == plan.kind:
            continue
        who = _short(plan.row.cells["email"] or plan.row.cells["name"])
        if plan.problems:
            out.append(f"row {plan.row.number} ({who}) now has a problem: "
                       f"{plan.problem_lines()[0]}")
        else:
            out.append(f"row {plan.row.number} ({who}) had a problem and now has none")
    if len(was) != len(plans):
        out.append("the preview was of other rows")
    return out


@dataclass(frozen=True)
class Imported:
    row: int
    name: str
    email: str
    what: str
    new_account: bool
    enrolled: bool


def confirm(staged: StagedImport, expected: str, units: dict[str, Unit], *,
            actor: User) -> list[Imported]:
    """Import the rows without problems, exactly as the preview showed them (`expected`, from
    `kinds`), all in the caller's one transaction: the caller commits, or rolls back on the
    DomainError that names the row at fault. AlreadyImported when it was confirmed before."""
    now = utcnow()
    claimed = db.session.execute(
        update(StagedImport).where(StagedImport.id == staged.id,
                                   StagedImport.imported_at.is_(None),
                                   StagedImport.expires_at > now)
        .values(imported_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        if db.session.scalar(select(StagedImport.imported_at).where(
                StagedImport.id == staged.id)) is not None:
            raise AlreadyImported("This import has been done already: nothing more was "
                                  "imported.")
        raise DomainError("This preview has expired: upload the file again.")
    db.session.expire(staged, ["imported_at"])
    parsed = staged_file(staged)
    plans = plan_rows(parsed.rows, units)
    changed = _changed(expected, plans)
    if changed:
        raise DomainError("Nothing was imported: something changed since the preview ("
                          + "; ".join(changed[:5]) + ("; and more" if len(changed) > 5 else "")
                          + "). The preview below is up to date: check it, then confirm again.")
    done = []
    for plan in plans:
        if not plan.ok:
            continue
        cells = plan.row.cells
        try:
            learner = plan.account or create_user(
                email=cells["email"], name=cells["name"], role=Role.LEARNER.value,
                password=None, actor=actor)
            if plan.unit is not None:
                enrol(learner, plan.unit, plan.assessor, plan.iqa, actor=actor)
        except DomainError as exc:
            raise DomainError(f"Nothing was imported: row {plan.row.number} "
                              f"({_short(cells['email'])}) was refused: {exc}") from None
        done.append(Imported(plan.row.number, learner.name, learner.email, plan.what(),
                             plan.account is None, plan.unit is not None))
    skipped = [p.row.number for p in plans if not p.ok]
    audit.record(AuditAction.LEARNERS_IMPORTED, actor=actor,
                 summary=f"Imported {len(done)} learners from {staged.file_name}"
                         + (f" ({len(skipped)} rows with problems skipped)" if skipped else ""),
                 file_name=staged.file_name, file_sha256=staged.file_sha256, rows=len(plans),
                 imported=len(done), accounts_created=sum(d.new_account for d in done),
                 enrolled=sum(d.enrolled for d in done),
                 skipped_rows=skipped)
    staged.result_json = json.dumps({"imported": [asdict(d) for d in done],
                                     "skipped": skipped})
    return done


def result(staged: StagedImport) -> tuple[list[Imported], list[int]]:
    """What a confirmed import did, row by row, and the numbers of the rows it skipped."""
    done = json.loads(staged.result_json or "{}")
    return [Imported(**d) for d in done.get("imported", [])], done.get("skipped", [])


def problems_table(staged: StagedImport, units: dict[str, Unit]) -> list[list[str]]:
    """The rows with problems (those skipped, once imported), with their problems in words
    in a last column, to fix and upload again: that column is not imported."""
    plans = plan_rows(staged_file(staged).rows, units)
    if staged.imported_at is not None:
        skipped = set(result(staged)[1])
        plans = [p for p in plans if p.row.number in skipped]
    return [[*COLUMNS, "row", "problems"]] + [
        [*(p.row.cells[c] for c in COLUMNS), str(p.row.number),
         "; ".join(p.problem_lines()) or "No problem now: import it again."]
        for p in plans if p.problems or staged.imported_at is not None]
