"""Route x role x own/someone else's portfolio, through the one permission function.

ROUTES is the access matrix: one entry for every endpoint in `app.url_map`, saying what each
role gets from a GET and from a POST (with a valid CSRF token), on the "own" portfolio (the
role's: people['learner']'s, whose assessor, IQA and EQA grant these people hold) and on
"other" (someone else's) wherever the URL (or the form) names a portfolio, evidence, file,
claim, sample, job, witness request, assessor or notice. A new route with no entry fails
test_every_route_has_an_entry, so nobody adds a page without saying who may reach it.
"""

import io
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import PASSWORD_HASH

from portfolio.access import Action, can
from portfolio.admin.importing import stage
from portfolio.ai_use import NO_AI
from portfolio.assessment.services import RecordFields, save_record
from portfolio.eqa.services import grant_access
from portfolio.evidence.services import EvidenceFields, Upload, add_evidence, check_uploads
from portfolio.iqa.services import CheckInput, add_to_plan, complete_sample, sampled_decisions
from portfolio.models import ExportJob, PasswordReset, Role, User, utcnow
from portfolio.notify import notify
from portfolio.tokens import hash_token, new_token
from portfolio.units import all_units
from portfolio.witness.services import WitnessDetails, pass_on, request_testimony

TODAY = date.today()
ROLES = ("anonymous", "learner", "assessor", "iqa", "admin", "eqa")
LOGIN = "login"  # a 302 to /login?next=...: signed out, or never signed in

Code = int | str  # a status code, or LOGIN
Codes = Code | tuple[Code, Code]  # one status for own and other alike, or (own, other)


def by_role(*, learner: Codes, assessor: Codes, iqa: Codes, admin: Codes, eqa: Codes,
            anonymous: Codes = LOGIN) -> dict[str, Codes]:
    """What each role gets. Every signed-in role must be named; anonymous is sent to sign in
    unless the entry is public."""
    return {"anonymous": anonymous, "learner": learner, "assessor": assessor, "iqa": iqa,
            "admin": admin, "eqa": eqa}


@dataclass(frozen=True)
class Entry:
    url: str  # formatted with the ids of the "own" or "other" objects (see `things`)
    get: dict[str, Codes] | None = None  # None: the route takes no GET
    post: dict[str, Codes] | None = None  # None: the route takes no POST
    form: dict[str, str] = field(default_factory=dict)  # POST fields besides the CSRF token
    public: bool = False  # anonymous users are not sent to sign in


# The common shapes. A portfolio the user may not see is a 404; one they may see but not act
# on, a 403. Pages that change things are refused to an EQA before any lookup (403 for every
# id), as are the admin pages to everyone but an admin.
def view(ok: int = 200) -> dict[str, Codes]:
    """Anyone on the portfolio, an admin, an EQA whose grant names it."""
    return by_role(learner=(ok, 404), assessor=(ok, 404), iqa=(ok, 404), admin=ok,
                   eqa=(ok, 404))


def edit(ok: int) -> dict[str, Codes]:
    """The portfolio's learner only."""
    return by_role(learner=(ok, 404), assessor=(403, 404), iqa=(403, 404), admin=403, eqa=403)


def judge(ok: int) -> dict[str, Codes]:
    """The portfolio's assessor only."""
    return by_role(learner=(403, 404), assessor=(ok, 404), iqa=(403, 404), admin=403, eqa=403)


def sample(ok: int) -> dict[str, Codes]:
    """The portfolio's IQA only."""
    return by_role(learner=(403, 404), assessor=(403, 404), iqa=(ok, 404), admin=403, eqa=403)


def export(ok: int = 200) -> dict[str, Codes]:
    """Everyone who views the portfolio, except an EQA."""
    return by_role(learner=(ok, 404), assessor=(ok, 404), iqa=(ok, 404), admin=ok, eqa=403)


def admin_only(ok: int) -> dict[str, Codes]:
    return by_role(learner=403, assessor=403, iqa=403, admin=ok, eqa=403)


def pack_job(ok: int = 200) -> dict[str, Codes]:
    """A sample pack is its maker's: "own" was made by the own portfolio's IQA, "other" by
    the admin."""
    return by_role(learner=404, assessor=404, iqa=(ok, 404), admin=(404, ok), eqa=403)


EVERYONE = by_role(anonymous=200, learner=200, assessor=200, iqa=200, admin=200, eqa=200)
SIGNED_IN = by_role(learner=200, assessor=200, iqa=200, admin=200, eqa=403)
# An anonymous visitor's empty form is shown again; a signed-in user is sent home.
LOGIN_PAGE = by_role(anonymous=200, learner=302, assessor=302, iqa=302, admin=302, eqa=302)
# A signed-in EQA is kept to their allow-list of reading pages (eqa/views.py): a 403.
COLLEGE_SIGN_IN = by_role(anonymous=404, learner=302, assessor=302, iqa=302, admin=302, eqa=403)
PLAN = by_role(learner=403, assessor=403, iqa=200, admin=200, eqa=200)
VERIFY = by_role(learner=403, assessor=403, iqa=200, admin=200, eqa=200)
PACK = by_role(learner=403, assessor=403, iqa=200, admin=200, eqa=403)
# Both links work without an account; an EQA signed in reaches only their read-only pages.
# A witness link takes nothing from a signed-in account: a testimony comes from the witness.
WITNESS_PAGE = by_role(anonymous=200, learner=403, assessor=403, iqa=403, admin=403, eqa=403)
INVITATION_PAGE = by_role(anonymous=200, learner=200, assessor=200, iqa=200, admin=200,
                          eqa=200)

# endpoint -> Entry (or several, for one endpoint reached in different ways).
# POSTs send an empty or minimal form: an allowed user gets the normal answer (a redirect, or
# the form again with its errors, 422), anyone else the refusal.
ROUTES: dict[str, Entry | tuple[Entry, ...]] = {
    # Signing in and out
    "auth.index": Entry("/", get=by_role(anonymous=302, learner=302, assessor=302, iqa=302,
                                         admin=302, eqa=302), public=True),
    "auth.login": Entry("/login", get=LOGIN_PAGE, post=LOGIN_PAGE, public=True),
    "auth.accessibility": Entry("/accessibility", get=by_role(
        anonymous=200, learner=200, assessor=200, iqa=200, admin=200, eqa=200), public=True),
    "auth.healthz": Entry("/healthz", get=by_role(
        anonymous=200, learner=200, assessor=200, iqa=200, admin=200, eqa=200), public=True),
    # Passwords: anyone may ask for a link or follow one; each signed-in person changes theirs
    # (an empty form comes back with its errors).
    "auth.forgot_password": Entry("/password/forgot", get=EVERYONE, post=EVERYONE,
                                  public=True),
    "auth.reset_password": Entry("/password/reset/{rt}", get=EVERYONE, post=by_role(
        anonymous=422, learner=422, assessor=422, iqa=422, admin=422, eqa=422), public=True),
    "auth.change_password": Entry("/account/password", get=by_role(
        learner=200, assessor=200, iqa=200, admin=200, eqa=200), post=by_role(
        learner=422, assessor=422, iqa=422, admin=422, eqa=422)),
    "auth.logout": Entry("/logout", post=by_role(learner=302, assessor=302, iqa=302, admin=302,
                                                 eqa=302)),  # run last
    # The college account (off here: no OIDC settings, so a 404; a signed-in user goes home)
    "auth.oidc_start": Entry("/login/oidc", get=COLLEGE_SIGN_IN, public=True),
    "auth.oidc_callback": Entry("/login/oidc/callback", get=COLLEGE_SIGN_IN, public=True),
    # The code after the password: with no password step waiting, back to sign in; a
    # signed-in user goes home
    "auth.login_code": Entry("/login/code", get=by_role(
        anonymous=302, learner=302, assessor=302, iqa=302, admin=302, eqa=302), post=by_role(
        anonymous=302, learner=302, assessor=302, iqa=302, admin=302, eqa=302), public=True),
    # Each person's own account and two-step sign-in (an EQA's too: the centre may require
    # it); the forms sent empty come back with their errors
    "account.index": Entry("/account", get=by_role(learner=200, assessor=200, iqa=200,
                                                   admin=200, eqa=200)),
    "account.two_step": Entry("/account/two-step", get=by_role(
        learner=200, assessor=200, iqa=200, admin=200, eqa=200), post=by_role(
        learner=422, assessor=422, iqa=422, admin=422, eqa=422)),
    "account.recovery_codes": Entry("/account/two-step/recovery-codes", post=by_role(
        learner=422, assessor=422, iqa=422, admin=422, eqa=422)),
    "account.turn_off": Entry("/account/two-step/off", post=by_role(
        learner=422, assessor=422, iqa=422, admin=422, eqa=422)),
    # Portfolios (a learner with one portfolio goes straight to it)
    "portfolios.index": Entry("/portfolios/", get=by_role(learner=302, assessor=200, iqa=200,
                                                          admin=200, eqa=200)),
    "portfolios.detail": Entry("/portfolios/{p}", get=view()),
    "portfolios.unit": Entry("/portfolios/{p}/unit", get=view()),
    "portfolios.audit_trail": Entry("/portfolios/{p}/audit", get=by_role(
        learner=(403, 404), assessor=(200, 404), iqa=(200, 404), admin=200, eqa=403)),
    # Evidence: everyone on the portfolio reads it; its learner changes it
    "evidence.detail": Entry("/evidence/{e}", get=view()),
    "evidence.download": Entry("/evidence/{e}/files/{f}", get=view()),
    # (The world's file is text, not a PDF: everyone allowed gets a 404 for "no page".)
    "evidence.pdf_page": Entry("/evidence/{e}/files/{f}/pages/1", get=by_role(
        learner=(404, 404), assessor=(404, 404), iqa=(404, 404), admin=404, eqa=(404, 404))),
    "evidence.version": Entry("/evidence/{e}/versions/1", get=view()),
    "evidence.version_file": Entry("/evidence/{e}/versions/1/files/{sha}", get=view()),
    # Suggested criteria: everyone who sees the item but an EQA; the learner sets one aside
    "suggestions.page": Entry("/evidence/{e}/suggestions", get=by_role(
        learner=(200, 404), assessor=(200, 404), iqa=(200, 404), admin=200, eqa=403)),
    "suggestions.set_aside": Entry("/evidence/{e}/suggestions/1.1/dismiss", post=edit(302)),
    "evidence.new": Entry("/portfolios/{p}/evidence/new", get=edit(200), post=edit(422)),
    # (A form with nothing in it keeps the item's values: nothing changed, back to the item.)
    "evidence.edit": Entry("/evidence/{e}/edit", get=edit(200), post=edit(302)),
    "evidence.claims": Entry("/evidence/{e}/claims", get=edit(200), post=edit(302)),
    "evidence.delete": Entry("/evidence/{d}/delete", get=edit(200), post=edit(302)),
    "evidence.remove": Entry("/evidence/{e}/files/{f2}/remove", post=edit(302)),
    # (Nothing ticked: the page again, saying so.)
    "evidence.redact": Entry("/evidence/{e}/redact", post=edit(422)),
    # Assessment: the portfolio's assessor judges; the learner answers their records
    "assessment.decide": Entry("/claims/{k}/decision", post=judge(422)),
    "assessment.withdraw": Entry("/claims/{k}/withdraw", post=judge(422)),
    "assessment.accept_all": Entry("/evidence/{e}/accept-all", post=judge(302)),
    "assessment.add": Entry("/evidence/{e}/claims/add", post=judge(422)),
    "assessment.new_record": (
        Entry("/portfolios/{p}/records/new/direct_observation", get=judge(200),
              post=judge(422)),
        Entry("/portfolios/{p}/records/new/professional_discussion", get=judge(200),
              post=judge(422))),
    "assessment.amend_record": Entry("/evidence/{r}/record", get=judge(200), post=judge(422)),
    "assessment.respond": Entry("/evidence/{r}/response", post=edit(422)),
    # Signatures: everyone who views reads the page; signing is the service's rule (a
    # sign-off, here unconfirmed: its assessor is told to tick the box, anyone else refused)
    "signoff.page": Entry("/portfolios/{p}/signatures", get=view(), post=judge(422),
                          form={"kind": "sign_off", "typed_name": "Someone"}),
    # The assessor or an admin reopens (here with no reason given: the form again)
    "signoff.reopen_portfolio": Entry("/portfolios/{p}/reopen", post=by_role(
        learner=(403, 404), assessor=(422, 404), iqa=(403, 404), admin=422, eqa=403)),
    # Witnesses: the learner asks; the learner or assessor revokes; the witness needs no
    # account
    "witness.ask": Entry("/portfolios/{p}/witnesses/new", get=edit(200), post=edit(422)),
    "witness.revoke_link": Entry("/witness-requests/{w}/revoke", post=by_role(
        learner=(302, 404), assessor=(302, 404), iqa=(403, 404), admin=403, eqa=403)),
    "witness.testimony": Entry("/witness/{wt}", get=WITNESS_PAGE, post=by_role(
        anonymous=422, learner=403, assessor=403, iqa=403, admin=403, eqa=403), public=True),
    # Email off, the assessor makes the link to pass on (this request is revoked by the
    # entry above, so the assessor is sent back with the reason), and verifies a signed
    # statement (here one not signed yet, with no answers: back to the page with the reason)
    "witness.pass_on_link": Entry("/witness-requests/{w}/pass-on", post=judge(302)),
    "witness.verify_testimony": Entry("/witness-requests/{w}/verify", post=judge(302)),
    # Exports: everyone who views the portfolio but an EQA; a pack only its maker
    "export.start": Entry("/portfolios/{p}/export", post=export(302)),
    "export.job": (Entry("/exports/{j}", get=export()), Entry("/exports/{pk}", get=pack_job())),
    "export.status": (Entry("/exports/{j}/status", get=export()),
                      Entry("/exports/{pk}/status", get=pack_job())),
    # A finished job is not started again: its page again
    "export.again": (Entry("/exports/{j}/again", post=export(302)),
                     Entry("/exports/{pk}/again", post=pack_job(302))),
    "export.download": (Entry("/exports/{j}/pdf", get=export()),
                        Entry("/exports/{pk}/pdf", get=pack_job())),
    "export.download_zip": (Entry("/exports/{j}/zip", get=export()),
                            Entry("/exports/{pk}/zip", get=pack_job(404))),  # a pack is a ZIP
    "export.pack": Entry("/quality/pack", get=PACK, post=by_role(
        learner=403, assessor=403, iqa=422, admin=422, eqa=403)),  # none chosen
    # Checking a PDF needs an account (an IQA, admin or EQA): not a public page
    "export.verify": Entry("/verify", get=VERIFY, post=by_role(
        learner=403, assessor=403, iqa=422, admin=422, eqa=422)),  # no file
    # Quality: the plan for IQAs, admins and EQAs; samples for the portfolio's IQA
    "iqa.plan": Entry("/quality/", get=PLAN),
    "iqa.plan_download": Entry("/quality/plan.csv", get=PLAN),
    "iqa.add": Entry("/quality/plan", form={"portfolio_id": "{p}"}, post=by_role(
        learner=403, assessor=403, iqa=(302, 404), admin=403, eqa=403)),
    "iqa.start": Entry("/quality/portfolios/{p}/sample", post=sample(302)),
    "iqa.sample": Entry("/quality/samples/{s}", get=by_role(
        learner=(403, 404), assessor=(200, 404), iqa=(200, 404), admin=200, eqa=(200, 404)),
        post=sample(422)),
    "iqa.remove": Entry("/quality/samples/{s}/remove", post=sample(302)),  # recorded: kept
    "iqa.answer": Entry("/quality/actions/{act}/answer", form={"a{act}-response": "Done."},
                        post=judge(302)),
    "iqa.rate": Entry("/quality/assessors/{a}/risk",
                      form={"r{a}-rating": "experienced", "r{a}-reasons": "Five years."},
                      post=by_role(learner=403, assessor=403, iqa=(302, 403), admin=302,
                                   eqa=403)),
    # Inbox: each person's own notices
    "inbox.index": Entry("/inbox/", get=SIGNED_IN),
    "inbox.open_item": Entry("/inbox/{n}", get=by_role(
        learner=(302, 404), assessor=(302, 404), iqa=(302, 404), admin=(302, 404), eqa=403)),
    "inbox.read_all": Entry("/inbox/read", post=by_role(learner=302, assessor=302, iqa=302,
                                                        admin=302, eqa=403)),
    # Administration and EQA grants: admins only
    "admin.index": Entry("/admin/", get=admin_only(200)),
    "admin.new_user": Entry("/admin/users/new", get=admin_only(200), post=admin_only(422)),
    "admin.enrol_learner": Entry("/admin/enrol", get=admin_only(200), post=admin_only(422)),
    "admin.reassign_portfolio": Entry("/admin/portfolios/{p}/people", get=admin_only(200),
                                      post=admin_only(422)),
    "admin.centre_audit": Entry("/admin/audit", get=admin_only(200)),
    # One account ({u}: a spare learner). An empty form comes back with its errors; reopening
    # an open account says so; a temporary password is shown once.
    "admin.account": Entry("/admin/users/{u}", get=admin_only(200), post=admin_only(422)),
    "admin.close_account": Entry("/admin/users/{u}/close", post=admin_only(422)),
    "admin.reopen_account": Entry("/admin/users/{u}/reopen", post=admin_only(302)),
    "admin.temporary_password": Entry("/admin/users/{u}/temporary-password",
                                      post=admin_only(200)),
    # Importing learners from a CSV file ({ci}: the admin's staged import, not yet confirmed;
    # confirming it with no preview's rows is refused with the preview shown again)
    "admin.import_learners": Entry("/admin/import", get=admin_only(200), post=admin_only(422)),
    "admin.import_template": Entry("/admin/import/template.csv", get=admin_only(200)),
    "admin.import_preview": Entry("/admin/import/{ci}", get=admin_only(200)),
    "admin.import_confirm": Entry("/admin/import/{ci}", post=admin_only(409)),
    "admin.import_done": Entry("/admin/import/{ci}/done", get=admin_only(302)),
    "admin.import_problems": Entry("/admin/import/{ci}/problems.csv", get=admin_only(200)),
    # (The assessor has no two-step sign-in to reset: back to the list, saying so.)
    "admin.reset_two_step": Entry("/admin/users/{a}/two-step/reset", post=admin_only(302)),
    # (Moves the portfolio to the current unit version, or says it is on it: back to it.)
    "admin.move_unit_version": Entry("/admin/portfolios/{p}/unit-version", post=admin_only(302)),
    # Keeping and erasing records: admins only. Neither portfolio has an end recorded, so
    # erasing is refused (409, with the reason) and there is no end to remove (back to it).
    "retention.index": Entry("/admin/retention", get=admin_only(200)),
    "retention.erase_portfolio": Entry("/admin/retention/{p}/erase", get=admin_only(200),
                                       post=admin_only(409)),
    "retention.record_end_of": Entry("/admin/portfolios/{p}/end", get=admin_only(200),
                                     post=admin_only(422)),
    "retention.remove_end_of": Entry("/admin/portfolios/{p}/end/remove",
                                     post=admin_only(302)),
    "eqa.grants": Entry("/admin/eqa", get=admin_only(200), post=admin_only(422)),
    "eqa.grant": Entry("/admin/eqa/{g}", get=admin_only(200)),
    "eqa.withdraw": Entry("/admin/eqa/{g}/revoke", post=admin_only(302)),
    "eqa.invitation": Entry("/eqa/invitation/{it}", get=INVITATION_PAGE, post=by_role(
        anonymous=422, learner=422, assessor=422, iqa=422, admin=422, eqa=422), public=True),
}
UNCHECKED = {"static", "bootstrap.static"}  # files, for everyone

# Placeholders that name an object of the "own" or "other" portfolio (or person): an entry
# using one says what each role gets on both. The rest ({g}, {wt}, {it}, {ci}) are the same for
# all.
OBJECT_IDS = {"p", "e", "f", "f2", "sha", "d", "k", "r", "s", "act", "j", "pk", "w", "a", "n"}


def entries() -> list[tuple[str, Entry]]:
    return [(endpoint, entry) for endpoint, value in ROUTES.items()
            for entry in (value if isinstance(value, tuple) else (value,))]


def both(codes: Codes) -> tuple[Code, Code]:
    """(own, other): one status stands for both."""
    return codes if isinstance(codes, tuple) else (codes, codes)


def placeholders(entry: Entry) -> set[str]:
    texts = [entry.url, *entry.form, *entry.form.values()]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_route_has_an_entry(app):
    """Built from app.url_map: a route nobody has put in ROUTES fails here."""
    problems = []
    adapter = app.url_map.bind("localhost")
    seen = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNCHECKED:
            continue
        seen.add(rule.endpoint)
        if rule.endpoint not in ROUTES:
            problems.append(f"{rule.endpoint} ({rule.rule}) has no entry: add it to ROUTES in "
                            "tests/test_access.py with the status each role gets")
            continue
        mine = [e for endpoint, e in entries() if endpoint == rule.endpoint]
        for method in ("GET", "POST"):
            covered = any((e.get if method == "GET" else e.post) is not None for e in mine)
            if (method in rule.methods) != covered:
                problems.append(f"{rule.endpoint} ({rule.rule}) "
                                + (f"takes {method}: give its entry {method.lower()}=..."
                                   if method in rule.methods else
                                   f"takes no {method}: drop {method.lower()}= from its entry"))
    for endpoint, entry in entries():
        if endpoint not in seen:
            problems.append(f"{endpoint} is in ROUTES but no longer a route: remove it")
            continue
        # The entry's URL reaches its endpoint, with each method it claims.
        url = entry.url.format_map({name: "1" for name in placeholders(entry)})
        for method, codes in (("GET", entry.get), ("POST", entry.post)):
            if codes is None:
                continue
            found, _ = adapter.match(url, method=method)
            if found != endpoint:
                problems.append(f"{endpoint}: {method} {entry.url} reaches {found}")
            if set(codes) != set(ROLES):
                problems.append(f"{endpoint}: {method} names roles {sorted(codes)}")
            if not placeholders(entry) & OBJECT_IDS and any(
                    isinstance(code, tuple) for code in codes.values()):
                problems.append(f"{endpoint}: {method} {entry.url} names no object: give "
                                "each role one status, not (own, other)")
            if entry.public == (LOGIN in both(codes["anonymous"])):
                problems.append(f"{endpoint}: anonymous gets {codes['anonymous']} but public="
                                f"{entry.public}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def world(app, db, people, portfolios):
    """Evidence with two files in each portfolio."""
    store = app.extensions["evidence_store"]
    unit = all_units()["unit-40"]
    out = {}
    for key, learner in (("own", people["learner"]), ("other", people["other_learner"])):
        files = check_uploads(store, [
            Upload(io.BytesIO(f"{key} secret notes\n".encode()), f"{key}.txt"),
            Upload(io.BytesIO(f"{key} spare notes\n".encode()), f"{key}-spare.txt")], 10_000)
        ev = add_evidence(portfolios[key], unit,
                          EvidenceFields("Notes", "product_evidence", TODAY, "", "", NO_AI),
                          files, actor=learner, store=store, submission_key=None, today=TODAY)
        db.session.commit()
        first, spare = sorted(ev.files, key=lambda f: f.filename != f"{key}.txt")
        out[key] = {"p": portfolios[key].id, "e": ev.id, "f": first.id, "f2": spare.id,
                    "sha": first.sha256}
    return out


def notice(db, user) -> int:
    """A notice in `user`'s inbox; opening it goes to the inbox."""
    item = notify(user, f"A notice for {user.name}", link="/inbox/")
    db.session.flush()
    return item.id


@pytest.fixture
def things(app, db, people, portfolios, world, eqa_grant, make_evidence, monkeypatch):
    """Every object a route names, in each portfolio: `world` plus a deletable item (d), a
    claim awaiting a decision (k), an assessor's record (r), a recorded sample with an action
    (s, act), a finished export (j) and sample pack (pk), a witness link (w), the
    portfolio's assessor (a) and its learner's notice (n); shared: the EQA grant (g), a
    waiting witness link's token (wt), an unused EQA invitation's token (it) and the admin's
    CSV import awaiting confirmation (ci); and each role's own notice (notes), which is their
    "own" n."""
    app.config["JOBS_BACKGROUND"] = False
    monkeypatch.setattr("portfolio.export.jobs.run", lambda job_id: None)  # no PDF rendering
    exports = Path(app.config["EXPORT_DIR"])
    (exports / "packs").mkdir(parents=True, exist_ok=True)
    unit = all_units()["unit-40"]
    witness = WitnessDetails("Sam Carter", "sam@example.com", "Team leader", "Manager",
                             "The complaint call.")
    out = {}
    for key, learner, assessor, iqa, pack_maker in (
            ("own", people["learner"], people["assessor"], people["iqa"], people["iqa"]),
            ("other", people["other_learner"], people["other_assessor"], people["other_iqa"],
             people["admin"])):
        portfolio = portfolios[key]
        ids = dict(world[key], a=assessor.id, n=notice(db, learner))
        ids["d"] = make_evidence(portfolio, title="Draft").id
        judged = make_evidence(portfolio, title="Judged", claims={"1.1": "accepted",
                                                                  "1.2": None})
        ids["k"] = next(c.id for c in judged.claims if c.criterion_id == "1.2")
        ids["r"] = save_record(portfolio, unit, RecordFields(
            "direct_observation", TODAY, None, 20, "Desk", "", "Account."),
            {"2.1": "Seen."}, assessor=assessor, today=TODAY).id
        planned = add_to_plan(portfolio, actor=iqa)
        complete_sample(planned, {d.id: CheckInput(True) for d in sampled_decisions(portfolio)},
                        "action_required", "Feedback.", ["Add a witness testimony."],
                        TODAY + timedelta(days=14), actor=iqa, today=TODAY)
        ids["s"], ids["act"] = planned.id, planned.actions[0].id
        # Finished jobs whose files exist (no PDF is rendered: only who may fetch them counts).
        (exports / f"job-{key}.pdf").write_bytes(b"%PDF-1.4\n%not a real export\n")
        (exports / "packs" / f"pack-{key}.zip").write_bytes(b"PK\x05\x06" + bytes(18))
        job = ExportJob(portfolio_id=portfolio.id, requested_by_id=assessor.id, status="done",
                        file_name=f"job-{key}.pdf", finished_at=utcnow())
        pack = ExportJob(kind="pack", portfolio_ids=str(portfolio.id), status="done",
                         requested_by_id=pack_maker.id, file_name=f"pack-{key}.zip",
                         finished_at=utcnow())
        db.session.add_all([job, pack])
        db.session.flush()
        ids["j"], ids["pk"] = job.id, pack.id
        ids["w"] = request_testimony(portfolio, unit, witness, actor=learner).request.id
        out[key] = ids
    asked = request_testimony(portfolios["own"], unit, witness, actor=people["learner"])
    link = pass_on(asked.request, actor=people["assessor"])
    _, invitation, _ = grant_access(name="Ina Invited", email="ina@ab.example",
                                    organisation="AB", portfolios=[portfolios["own"]], days=14,
                                    actor=people["admin"])
    staged = stage(b"name,email\nIan Import,ian@college.example\n", "learners.csv",
                   admin=people["admin"], max_bytes=10_000, max_rows=10)
    spare = User(email="una.spare@demo.test", name="Una Spare", role=Role.LEARNER,
                 password_hash=PASSWORD_HASH)
    db.session.add(spare)
    db.session.flush()
    reset_token = new_token()
    db.session.add(PasswordReset(token_hash=hash_token(reset_token), user_id=spare.id,
                                 expires_at=utcnow() + timedelta(hours=1)))
    shared = {"g": eqa_grant.id, "wt": link.rsplit("/", 1)[1],
              "it": invitation.rsplit("/", 1)[1], "u": spare.id, "rt": reset_token,
              "ci": staged}
    out["own"].update(shared)
    out["other"].update(shared)  # "other" n stays the other learner's
    out["notes"] = {role: notice(db, user) for role, user in (
        ("assessor", people["assessor"]), ("iqa", people["iqa"]), ("admin", people["admin"]),
        ("eqa", eqa_grant.eqa))}
    out["notes"]["learner"] = out["notes"]["anonymous"] = out["own"]["n"]
    db.session.commit()
    return out


def answer(response) -> Code:
    response.close()  # file downloads are streamed: close them
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/login?next="):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, browser, people, eqa_grant, things, role):
    """Every entry of ROUTES, for one role: all the GETs, then all the POSTs (signing out
    last), each on the own and the other portfolio's objects."""
    if role != "anonymous":
        browser.login(eqa_grant.eqa if role == "eqa" else people[role])
    token = browser.token("/login" if role == "anonymous" else "/portfolios/")
    wrong = []
    last = sorted(entries(), key=lambda item: item[0] == "auth.logout")
    for method in ("GET", "POST"):
        for endpoint, entry in last:
            codes = entry.get if method == "GET" else entry.post
            if codes is None:
                continue
            # An entry naming an object is tried on the own and the other one; one status
            # stands for both.
            pairs = zip(("own", "other"), both(codes[role]), strict=True)
            if not placeholders(entry) & OBJECT_IDS:
                pairs = [("own", codes[role])]
            for which, code in pairs:
                ids = dict(things[which])
                if which == "own":
                    ids["n"] = things["notes"][role]
                url = entry.url.format(**ids)
                if method == "GET":
                    got = answer(client.get(url))
                else:
                    form = {k.format(**ids): v.format(**ids) for k, v in entry.form.items()}
                    got = answer(client.post(url, data={"csrf_token": token, **form}))
                if got != code:
                    wrong.append(f"{method} {url} ({endpoint}, {which}): expected {code}, "
                                 f"got {got}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def status(client, url: str) -> int:
    response = client.get(url)
    response.close()  # file downloads are streamed: close them
    return response.status_code


def test_learner_never_downloads_another_learners_file_even_via_own_evidence(client, browser,
                                                                             people, world):
    browser.login(people["learner"])
    own, other = world["own"], world["other"]
    # Their own evidence id with the other learner's file id: refused.
    assert status(client, f"/evidence/{own['e']}/files/{other['f']}") == 404
    with client.get(f"/evidence/{own['e']}/files/{own['f']}") as response:
        assert response.data == b"own secret notes\n"


def test_learner_cannot_post_to_another_learners_portfolio(client, browser, people, world):
    browser.login(people["learner"])
    token = browser.token("/portfolios/")
    other = world["other"]
    for url in (f"/portfolios/{other['p']}/evidence/new", f"/evidence/{other['e']}/edit",
                f"/evidence/{other['e']}/claims", f"/evidence/{other['e']}/delete",
                f"/evidence/{other['e']}/files/{other['f']}/remove",
                f"/evidence/{other['e']}/response", f"/evidence/{other['e']}/claims/add",
                f"/evidence/{other['e']}/record",
                f"/portfolios/{other['p']}/records/new/direct_observation"):
        assert client.post(url, data={"csrf_token": token, "title": "x"}).status_code == 404, url


def test_eqa_can_post_nothing_that_changes_a_portfolio(client, browser, people, world,
                                                       eqa_grant):
    browser.login(eqa_grant.eqa)
    token = browser.token("/portfolios/")
    own = world["own"]
    for url in (f"/portfolios/{own['p']}/evidence/new", f"/evidence/{own['e']}/edit",
                f"/evidence/{own['e']}/claims", f"/evidence/{own['e']}/delete",
                f"/evidence/{own['e']}/files/{own['f']}/remove",
                f"/portfolios/{own['p']}/export", f"/portfolios/{own['p']}/signatures",
                f"/portfolios/{own['p']}/reopen", "/quality/plan",
                f"/quality/portfolios/{own['p']}/sample", "/inbox/read"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert can(eqa_grant.eqa, Action.VIEW, db_portfolio(own["p"]))
    for action in Action:
        if action not in (Action.VIEW, Action.READ_QUALITY):
            assert not can(eqa_grant.eqa, action, db_portfolio(own["p"])), action


def db_portfolio(portfolio_id):
    from portfolio.extensions import db
    from portfolio.models import Portfolio
    return db.session.get(Portfolio, portfolio_id)


def test_lists_show_only_what_each_role_may_see(client, browser, people, world):
    browser.login(people["assessor"])
    page = client.get("/portfolios/").text
    assert "Learner" in page and people["learner"].name in page
    assert people["other_learner"].name not in page


def test_can_is_the_single_rule(people, portfolios):
    own = portfolios["own"]
    assert can(people["learner"], Action.EDIT_EVIDENCE, own)
    assert not can(people["assessor"], Action.EDIT_EVIDENCE, own)
    assert can(people["assessor"], Action.JUDGE, own)
    assert not can(people["other_assessor"], Action.JUDGE, own)
    assert not can(people["iqa"], Action.JUDGE, own)
    assert not can(None, Action.VIEW, own)
    people["learner"].active = False
    assert not can(people["learner"], Action.VIEW, own)
