"""Customer personal data in evidence text: found, described and redacted. Pure: a string in,
findings out (no Flask, no database), so it can run wherever text is read.

`find(text, known_ok)` looks for email addresses, UK phone numbers, sort codes, account,
card (Luhn-checked) and reference numbers, National Insurance numbers, dates of birth, UK
postcodes and street addresses, and people's names. Each Finding holds offsets into the very
string it was given, so `redact` can replace exactly what was found.

Precision matters more than recall, above all for names: a name is only taken after a
title ("Mrs Okafor"), a role ("customer John Smith"), a greeting ("Dear Sarah"), a sign-off
line, an email header ("To: Daniel Hughes <...>") or "name is", or as a common first name
followed by a surname ("I rang John Smith"); once found, the same name elsewhere in the text
is found too ("Hughes" in "D. Hughes"). A name the caller knows is fine (the learner's own,
the centre's staff: `known_ok`) is never flagged. What it misses (a lone first name with no
cue, a name spelt in lower case, a house name, an address with no number or postcode, a
phone number from abroad, anything in a picture or a scan) is listed in the README.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .personal_patterns import WORD, Hit, hits
from .personal_words import NAME_WORDS, NOT_A_ROLE_AFTER, ROLES, TITLES

# kind -> (noun, plural) for the words on the page.
KINDS = {
    "name": ("name", "names"),
    "email": ("email address", "email addresses"),
    "phone": ("phone number", "phone numbers"),
    "account_number": ("account or reference number", "account or reference numbers"),
    "card_number": ("card number", "card numbers"),
    "national_insurance": ("National Insurance number", "National Insurance numbers"),
    "date_of_birth": ("date of birth", "dates of birth"),
    "address": ("address", "addresses"),
}
# Which kind wins where two overlap: the more certain, or the longer that holds the other.
PRIORITY = ["email", "address", "card_number", "national_insurance", "phone", "date_of_birth",
            "account_number", "postcode", "name"]


@dataclass(frozen=True)
class Finding:
    kind: str  # a key of KINDS
    start: int  # text[start:end] == self.text
    end: int
    text: str
    label: str  # "a customer's email address", "a postcode", "a person's name"
    what: str  # the thing in two words, for the placeholder: "email", "sort code"
    whose: str = ""  # "customer" when the words around say so

    @property
    def placeholder(self) -> str:
        """What the redacted copy says instead: "[customer's email]", "[phone number]"."""
        return f"[{self.whose}’s {self.what}]" if self.whose else f"[{self.what}]"


def _tokens(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(text) if len(w) > 1 and w not in TITLES}


class _Known:
    """What the caller says is fine: the learner's own name and email, the centre's staff.
    A name is fine when every word of it is a word of one known name ("Ms Shah", "Priya")."""

    def __init__(self, known: Iterable[str]):
        known = [k for k in known if k and k.strip()]
        self.exact = {" ".join(k.casefold().split()) for k in known}
        self.names = [t for k in known if "@" not in k and (t := _tokens(k))]

    def covers(self, hit: Hit, text: str) -> bool:
        found = text[hit.start:hit.end]
        if " ".join(found.casefold().split()) in self.exact:
            return True
        if hit.kind != "name":
            return False
        words = _tokens(hit.core or found)
        return bool(words) and any(words <= name for name in self.names)


def _resolve(hits: list[Hit], kept: list[Hit] | None = None) -> list[Hit]:
    """Keep the hits that overlap nothing kept before them, most certain (then longest)
    first; `kept` are taken as they are."""
    taken = sorted(kept or [], key=lambda h: h.start)
    starts = [h.start for h in taken]
    for hit in sorted(hits, key=lambda h: (PRIORITY.index(h.rank), h.start - h.end, h.start)):
        i = bisect_left(starts, hit.start)
        if i > 0 and taken[i - 1].end > hit.start:
            continue
        if i < len(taken) and taken[i].start < hit.end:
            continue
        insort(starts, hit.start)
        taken.insert(i, hit)
    return taken


def _repeats(text: str, kept: list[Hit], known: _Known) -> list[Hit]:
    """The same name or number again elsewhere in the text ("Hughes" after "Mr Hughes", with
    an initial before it: "D. Hughes")."""
    wanted: dict[str, Hit] = {}
    for hit in kept:
        if hit.kind == "name":
            words = [w for w in WORD.findall(hit.core) if len(w) > 2
                     and w.casefold() not in NAME_WORDS]
            for part in {hit.core, *words}:
                wanted.setdefault(part, hit)
        elif hit.kind != "address":
            wanted.setdefault(text[hit.start:hit.end], hit)
    if not wanted:
        return []
    alternatives = "|".join(re.escape(w) for w in sorted(wanted, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w'’@.-])(?:[A-Z]\.[ \t]*)?(?:{alternatives})(?![\w'’@-])")
    out = []
    for m in pattern.finditer(text):
        core = m.group().split(".", 1)[1].strip() if m.group()[1:2] == "." else m.group()
        source = wanted.get(core)
        if source is None:
            continue
        hit = Hit(source.kind, m.start(), m.end(), source.what, source.rank, core
                   if source.kind == "name" else "")
        if not known.covers(hit, text):
            out.append(hit)
    return out


_ROLEWORD = re.compile(r"(?<![\w.@-])(" + "|".join(ROLES) + r")(?:['’]s?)?(?![\w.@-])"
                        r"(?:[ \t]+(\w+))?", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
_ROLE_AFTER = re.compile(r"[ \t]*[,(][ \t]*(?:the|our|a|my)[ \t]+(" + "|".join(ROLES) + r")\b",
                         re.IGNORECASE)


def _whose(text: str, start: int, end: int) -> str:
    """"customer" when the same sentence says whose it is just before (or just after)."""
    before = text[max(0, start - 80):start]
    ends = [m.end() for m in _SENTENCE_END.finditer(before)]
    before = before[ends[-1]:] if ends else before
    role = ""
    for m in _ROLEWORD.finditer(before):
        if (m.group(2) or "").casefold() not in NOT_A_ROLE_AFTER:
            role = ROLES[m.group(1).casefold()]
    after = _ROLE_AFTER.match(text, end)
    return ROLES[after.group(1).casefold()] if after else role


_LABELS = {"NI number": "National Insurance number"}


def _label(what: str, whose: str) -> str:
    noun = _LABELS.get(what, what)
    if whose:
        return f"a {whose}’s {noun}"
    if what == "name":
        return "a person’s name"
    return ("an " if noun[0] in "aeiouAEIOU" else "a ") + noun


def find(text: str, known_ok: Iterable[str] = ()) -> list[Finding]:
    """Every piece of personal data found in `text`, in order, none overlapping another;
    nothing in `known_ok` (names and emails that are fine to keep) is flagged."""
    if not text:
        return []
    known = _Known(known_ok)
    kept = _resolve([h for h in hits(text) if not known.covers(h, text)])
    kept = _resolve(_repeats(text, kept, known), kept)
    out = []
    for h in kept:
        whose = _whose(text, h.start, h.end)
        out.append(Finding(h.kind, h.start, h.end, text[h.start:h.end], _label(h.what, whose),
                           h.what, whose))
    return out


def redact(text: str, findings: Iterable[Finding]) -> str:
    """`text` with each finding replaced by its placeholder. The findings must be `text`'s
    own (from find(text)) and not overlap: anything else is a ValueError, never a guess."""
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos or text[f.start:f.end] != f.text:
            raise ValueError("the findings are not this text's")
        out += [text[pos:f.start], f.placeholder]
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def _plural(what: str) -> str:
    if what == "date of birth":
        return "dates of birth"
    return what + ("es" if what.endswith("ss") else "s")


def summary(findings: Iterable[Finding]) -> str:
    """"2 email addresses, 1 phone number and 1 name (a customer’s)"."""
    findings = list(findings)
    order = {k: i for i, k in enumerate(KINDS)}
    groups: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (order[f.kind], f.start)):
        groups.setdefault(_LABELS.get(f.what, f.what), []).append(f)
    parts = []
    for what, group in groups.items():
        count = len(group)
        words = f"{count} {what if count == 1 else _plural(what)}"
        whose = Counter(f.whose for f in group if f.whose)
        if whose:
            role, many = whose.most_common(1)[0]
            words += (f" (a {role}’s)" if count == 1 else f" ({role}s’)" if many == count
                      else f" (one a {role}’s)" if many == 1 else f" ({many} {role}s’)")
        parts.append(words)
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def context(text: str, finding: Finding, width: int = 60) -> tuple[str, str, str]:
    """The words before, the finding, the words after: for showing it where it was. Runs of
    white space become one space; "…" marks where the text goes on."""
    before = text[max(0, finding.start - width):finding.start]
    after = text[finding.end:finding.end + width]
    if finding.start > width and " " in before:
        before = "…" + before[before.index(" "):]
    if len(text) - finding.end > width and " " in after:
        after = after[:after.rindex(" ")] + " …"
    squash = " ".join
    return (squash(before.split()) + (" " if before[-1:].isspace() else ""),
            squash(finding.text.split()),
            (" " if after[:1].isspace() else "") + squash(after.split()))
