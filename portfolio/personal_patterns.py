"""The patterns and detectors behind personal_data.find: each returns Hits (kind, offsets,
what it is) that may overlap; personal_data decides which stand. Pure.

Every pattern is written to run in time proportional to the text (bounded repeats, no
nested unbounded groups), because it runs on whatever a learner pastes or uploads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .personal_words import FIRST_NAMES, NAME_WORDS, NOT_NAMES, ROLE_MAILBOXES, TITLES


@dataclass(frozen=True)
class Hit:
    kind: str
    start: int
    end: int
    what: str
    rank: str  # its place in personal_data.PRIORITY
    core: str = ""  # a name without its title ("Hughes" of "Mr Hughes"), looked for again


# Building blocks. Case matters in the patterns; cue words are matched in any case (?i:...).
_LETTERS = r"[^\W\d_]"
WORD = re.compile(rf"{_LETTERS}+(?:['’-]{_LETTERS}+)*")
_INITIALS = re.compile(r"[A-Z]\.?(?:[ \t]*[A-Z]\.?)?(?=[ \t]+[A-Z])")
_GAP = re.compile(r"[ \t]+")
_NAMEWORD = r"[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?"
_POSTCODE = r"[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?[ \t]?\d[ABD-HJLNP-UW-Z]{2}"
_STREET_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Close|Crescent|Cres|Way|Place|Court|Gardens|"
    "Grove|Terrace|Square|Hill|Row|Mews|Walk|Parade|Green|Rise|View|Park|Vale|Wharf|Quay|Yard|"
    "Boulevard|Gate|Croft|Fields|Meadows|Chase|Circus|Embankment|Broadway|Approach|Wynd|Brae")
_HOUSE = (rf"(?:{_NAMEWORD}[ \t]+){{1,3}}(?:House|Court|Lodge|Mansions|Buildings|Tower|Heights|"
          r"Cottages?|Farm|Hall|Villas|Flats)\b")
_FLAT = r"(?:Flat|Apartment|Apt\.?)[ \t]+\d{1,4}[A-Za-z]?"
_STREET = (rf"\d{{1,4}}[A-Za-z]?(?:-\d{{1,4}})?,?[ \t]+(?:{_NAMEWORD}[ \t]+){{1,3}}"
           rf"(?:{_STREET_TYPES})\b")
_TOWN = rf"{_NAMEWORD}(?:[ \t]+{_NAMEWORD}){{0,2}}"

EMAIL = re.compile(r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
                   r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}"
                   r"(?![\w-])")
PHONE = re.compile(r"(?<![\w+/.£$€-])(?:\+44[ \t]?(?:\(0\)[ \t]?)?\d{2,4}|\(0\d{2,4}\)|0\d{2,4})"
                   r"(?:[ \t-]?\d{2,4}){1,4}(?![\w/%]|[.,:-]\d)")
CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-]|[.,]\d)")
NATIONAL_INSURANCE = re.compile(
    r"(?<![\w])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"[ \t]?\d{2}[ \t]?\d{2}[ \t]?\d{2}[ \t]?[A-D](?![\w])")
SORT_CODE = re.compile(r"(?<![\w./-])(\d{2})-(\d{2})-(\d{2})(?![\w/-]|\.\d)")
SORT_CODE_CUED = re.compile(r"(?i:\bsort[ \t-]?code\b)[ \t]*[:#]?[ \t]*(\d{2}[ -]?\d{2}[ -]?\d{2})"
                            r"(?![\w-])")
EIGHT_DIGITS = re.compile(r"(?<![\w£$€.,/:-])\d{8}(?![\w%]|[.,/:-]\d)")
REFERENCE = re.compile(
    r"(?i:\b(account|acct|a/c|customer|client|membership|member|policy|reference|ref|order|"
    r"booking|case|claim|invoice|ticket|tracking|contract|meter|loyalty|complaint)"
    r"\b\.?(?:[ \t]+(?:no|num|number|id|ref|reference|code)\b\.?){0,2})"
    r"[ \t]*(?:[:#=][ \t]*|(?i:is|was)[ \t]+)?([A-Za-z0-9][A-Za-z0-9/-]{4,24})(?![\w/-])")
_DATE = (r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)?"
         r"[ \t]+(?:of[ \t]+)?(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
         r"[a-z]*\.?,?[ \t]+\d{4}")
DATE_OF_BIRTH = re.compile(
    r"(?i:\b(?:date[ \t]+of[ \t]+birth|d\.o\.b\.?|dob|born(?:[ \t]+on)?|birthday(?:[ \t]+is)?))"
    rf"\b[ \t]*[:\-]?[ \t]*({_DATE})(?!\d)")
POSTCODE = re.compile(rf"(?<![A-Za-z0-9]){_POSTCODE}(?![A-Za-z0-9])")
ADDRESS = re.compile(
    rf"(?<![\w-])(?:{_FLAT}[ \t]*,?[ \t]*(?:{_HOUSE}[ \t]*,?[ \t]*)?)?{_STREET}"
    rf"(?:(?:,?[ \t]*\n?[ \t]*{_TOWN}){{0,2}},?[ \t]*\n?[ \t]*{_POSTCODE}(?![A-Za-z0-9]))?")
FLAT = re.compile(rf"(?<![\w-]){_FLAT}[ \t]*,[ \t]*{_HOUSE}")

TITLE = re.compile(rf"\b(?:{'|'.join(TITLES)})\b\.?[ \t]+")
ROLE_CUE = re.compile(
    r"(?i:\b(?:customer|client|caller|complainant|patient|tenant|resident|guest|passenger|"
    r"claimant)s?(?:['’]s[ \t]+(?:husband|wife|partner|son|daughter|mother|father|mum|dad|"
    r"brother|sister|friend|carer))?)\b[ \t]*,?[ \t]*")
GREETING = re.compile(r"(?i:\b(?:dear|hi|hello|hey|good[ \t]+(?:morning|afternoon|evening)))"
                      r"\b[ \t]*,?[ \t]*")
SIGN_OFF = re.compile(
    r"(?im)^[ \t>]*(?:kind(?:est)?[ \t]+regards|best[ \t]+regards|warm(?:est)?[ \t]+regards|"
    r"many[ \t]+thanks|thanks(?:[ \t]+again)?|thank[ \t]+you|regards|best[ \t]+wishes|best|"
    r"yours[ \t]+(?:sincerely|faithfully|truly)|sincerely|cheers|speak[ \t]+soon)"
    r"[ \t]*[,.!]?[ \t]*(?:\r?\n[ \t>]*)?")
NAME_IS = re.compile(r"(?i:\bname[ \t]+(?:is|was))\b[ \t]*:?[ \t]*")
HEADER = re.compile(r"(?im)^[ \t>]*(?:from|to|cc|bcc|reply-to|sender)[ \t]*:[ \t]*\"?")
FIRST_NAME = re.compile(r"(?<![\w'’-])(?P<first>[A-Z][a-z]+)(?=[ \t]+[A-Z])")


def _is_name_word(word: str, *, cued: bool) -> bool:
    folded = word.casefold()
    if len(word) < 2 or not word[0].isupper() or (word.isupper() and len(word) > 1):
        return False
    if folded in NOT_NAMES:
        return False
    return cued or folded not in NAME_WORDS


def _take_name(text: str, at: int, *, most: int = 3, cued: bool = True) -> tuple[int, int]:
    """The name starting at `at` (initials allowed before the last word): up to `most`
    capitalised words that are not ordinary words, without a closing "'s". (at, at) if none."""
    end, words, pos = at, 0, at
    while words < most:
        gap = _GAP.match(text, pos) if pos > at else None
        cursor = gap.end() if gap else pos
        initials = _INITIALS.match(text, cursor)
        if initials and words < most - 1:
            cursor = _GAP.match(text, initials.end()).end()
        word = WORD.match(text, cursor)
        if not word:
            break
        token = word.group()
        stop = word.end()
        if token.endswith(("'s", "’s")):
            token, stop = token[:-2], stop - 2
        if not _is_name_word(token, cued=cued):
            break
        end, pos, words = stop, stop, words + 1
        if stop != word.end():  # a possessive ends the name
            break
    return at, end


def _names(text: str) -> list[Hit]:
    hits: list[Hit] = []

    def add(start: int, core_start: int, end: int) -> None:
        if end > core_start:
            hits.append(Hit("name", start, end, "name", "name", text[core_start:end]))

    for m in TITLE.finditer(text):
        add(m.start(), *_take_name(text, m.end()))
    for cue in (ROLE_CUE, NAME_IS):
        for m in cue.finditer(text):
            start, end = _take_name(text, m.end())
            add(start, start, end)
    for m in GREETING.finditer(text):
        start, end = _take_name(text, m.end())
        if re.match(r"[ \t]*(?:[,!:\n]|$)", text[end:end + 3] or "\n"):
            add(start, start, end)
    for m in SIGN_OFF.finditer(text):
        start, end = _take_name(text, m.end())
        if re.match(r"[ \t]*(?:,|\r?\n|$)", text[end:end + 3]):
            add(start, start, end)
    for m in HEADER.finditer(text):
        start, end = _take_name(text, m.end(), most=4)
        if re.match(r"\"?[ \t]*<", text[end:end + 4]):
            add(start, start, end)
    for m in FIRST_NAME.finditer(text):
        if m.group("first").casefold() in FIRST_NAMES:
            start, end = _take_name(text, m.start(), cued=False)
            if text[start:end].count(" ") + text[start:end].count("\t"):  # a surname too
                add(start, start, end)
    return hits


def _phone_digits(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+44"):
        digits = digits[2:]
        digits = digits if digits.startswith("0") else "0" + digits
    if not digits.startswith("0") or digits[1:2] not in ("1", "2", "7"):
        return False  # 0800, 0300 and other non-geographic numbers belong to organisations
    return len(digits) == 11 or (digits[1] == "1" and len(digits) == 10)


def _phones(text: str) -> list[Hit]:
    hits = []
    for m in PHONE.finditer(text):
        candidate = m.group()
        # A number followed by another ("0161 496 0000 12 times"): shorten at a gap.
        while candidate and not _phone_digits(candidate):
            cut = max(candidate.rfind(" "), candidate.rfind("-"), candidate.rfind("\t"))
            candidate = candidate[:cut].rstrip(" -\t") if cut > 3 else ""
        if candidate:
            hits.append(Hit("phone", m.start(), m.start() + len(candidate), "phone number",
                             "phone"))
    return hits


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _cards(text: str) -> list[Hit]:
    hits = []
    for m in CARD.finditer(text):
        raw = m.group()
        separators = set(re.sub(r"\d", "", raw))
        digits = re.sub(r"\D", "", raw)
        groups = [len(g) for g in re.split(r"[ -]", raw)]
        if len(separators) > 1 or not 13 <= len(digits) <= 19 or not _luhn(digits):
            continue
        if separators and groups not in ([4, 4, 4, 4], [4, 6, 5], [4, 4, 4, 4, 3], [4, 6, 4],
                                         [4, 4, 4, 1]):
            continue
        hits.append(Hit("card_number", m.start(), m.end(), "card number", "card_number"))
    return hits


def _real_date(day: int, month: int, year: int) -> bool:
    try:
        date(year, month, day)
    except (ValueError, OverflowError):  # "40-47-8412345678" is no date either
        return False
    return 1900 <= year <= 2100


def _looks_like_date(value: str) -> bool:
    parts = [int(p) for p in re.split(r"[/.-]", value) if p.isdigit()]
    if len(parts) == 3:
        d, mth, y = (parts[2], parts[1], parts[0]) if parts[0] > 31 else parts
        return _real_date(d, mth, y if y > 99 else 2000 + y)
    if re.fullmatch(r"\d{8}", value):
        return (_real_date(int(value[6:]), int(value[4:6]), int(value[:4]))
                or _real_date(int(value[:2]), int(value[2:4]), int(value[4:])))
    return bool(re.fullmatch(r"(?:19|20)\d\d", value))


def _account_numbers(text: str) -> list[Hit]:
    hits = []
    for m in SORT_CODE_CUED.finditer(text):
        hits.append(Hit("account_number", m.start(1), m.end(1), "sort code", "account_number"))
    for m in SORT_CODE.finditer(text):
        day, month = int(m.group(1)), int(m.group(2))
        could_be_date = 1 <= day <= 31 and 1 <= month <= 12
        if not could_be_date:
            hits.append(Hit("account_number", m.start(), m.end(), "sort code",
                             "account_number"))
    for m in REFERENCE.finditer(text):
        value = m.group(2)
        if sum(ch.isdigit() for ch in value) < 4 or _looks_like_date(value):
            continue
        cue = m.group(1).casefold()
        what = "account number" if cue in ("account", "acct", "a/c") else "reference number"
        hits.append(Hit("account_number", m.start(2), m.end(2), what, "account_number"))
    for m in EIGHT_DIGITS.finditer(text):
        if not _looks_like_date(m.group()):
            hits.append(Hit("account_number", m.start(), m.end(), "account number",
                             "account_number"))
    return hits


def _simple(text: str) -> list[Hit]:
    hits = []
    for m in EMAIL.finditer(text):
        mailbox = re.sub(r"[._-]", "", m.group().split("@", 1)[0].casefold())
        if mailbox not in ROLE_MAILBOXES:
            hits.append(Hit("email", m.start(), m.end(), "email address", "email"))
    for m in NATIONAL_INSURANCE.finditer(text):
        hits.append(Hit("national_insurance", m.start(), m.end(), "NI number",
                         "national_insurance"))
    for m in DATE_OF_BIRTH.finditer(text):
        hits.append(Hit("date_of_birth", m.start(1), m.end(1), "date of birth",
                         "date_of_birth"))
    for pattern in (ADDRESS, FLAT):
        for m in pattern.finditer(text):
            hits.append(Hit("address", m.start(), m.end(), "address", "address"))
    for m in POSTCODE.finditer(text):
        hits.append(Hit("address", m.start(), m.end(), "postcode", "postcode"))
    return hits




def hits(text: str) -> list[Hit]:
    """Everything every detector finds in `text`, overlaps and all."""
    return [h for h in (*_simple(text), *_phones(text), *_cards(text),
                        *_account_numbers(text), *_names(text)) if h.end > h.start]
