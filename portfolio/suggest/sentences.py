"""Evidence text cut into the sentences a suggestion can quote, each with its place in the text.

Evidence is not tidy prose: an email thread has headers, quoted replies ("> ...", "On ... wrote:")
and signatures; a discussion is a transcript ("Assessor: ... Learner: ..."); an observation is a
form of labelled fields and bullet lists; a complaint log is rows of a table. Each sentence is
found in that shape, so that a quote is a whole thought and never a header or a sign-off.

Every Segment's `start`/`end` index the exact string given ([start, end), Python string indices,
that is Unicode code points), `text == source[start:end]`, and a span neither starts nor ends
with whitespace. A sentence that runs over several lines of a quoted reply keeps the "> " markers
inside its span (the text is quoted exactly); `clean` is the same sentence without them, for the
rankers. `passages()` groups the sentences into what the rankers also read as one (a paragraph,
a question with its answer); a quote is always one sentence. Pure: no imports beyond the
standard library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TEXT, QUOTED, QUESTION = "text", "quoted", "question"
PARAGRAPH, EXCHANGE = "paragraph", "exchange"

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
_HEADER = re.compile(r"(?i)\s*(from|to|cc|bcc|subject|date|sent|reply-to|received|message-id|"
                     r"importance|attachments?|mime-version|content-type)\s*:")
_QUOTE_INTRO = re.compile(r"(?i)\s*(on\b.{0,200}\bwrote:\s*$|-{2,}\s*(original|forwarded) "
                          r"message\s*-{2,}|begin forwarded message:|sent from my \w+)")
_SIGN_OFF = re.compile(r"(?i)\s*((kind|best|warm|warmest|many|with)\s+)?(regards|wishes|thanks|"
                       r"thank you)[,.!]?\s*$|\s*yours\s+(sincerely|faithfully|truly)[,.]?\s*$|"
                       r"\s*cheers[,.!]?\s*$")
_GREETING = re.compile(r"(?i)\s*(dear|hi|hello|good (morning|afternoon|evening))\b"
                       r"([ \t]+[\w.'’-]+){0,4}[ \t]*[,!]?\s*$")
_QUOTED = re.compile(r"\s*(?:>[ \t]?)+")
_BULLET = re.compile(r"\s*(?:[-*•▪◦‣–—]|\d{1,2}[.)]|[a-z][.)]|[A-Z]\)|\(\w{1,3}\))[ \t]+(?=\S)")
_HEADING = re.compile(r"\s*#{1,6}[ \t]+(?=\S)")
_RULE = re.compile(r"\s*([-=*_|:+ ]{3,})\s*$")
# A speaker's or a field's label at the start of a line: "Assessor:", "Q:", "[00:02:15] Dawn
# (assessor):", "Mr Hughes:", "Outcome:". Up to three capitalised words (a name, a field), with
# a role in brackets; "I told him: ..." is a sentence, not a label (see `_label`).
_LABEL = re.compile(r"\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*)?"
                    r"([A-Z][\w'’.-]*(?:[ \t](?:[A-Z][\w'’.-]*|\([\w ]+\))){0,3})[ \t]*:[ \t]+"
                    r"(?=\S)")
# The same, inside a line, only for the roles of a transcript (never "e.g. Note: ...").
_INLINE_TURN = re.compile(r"(?<=[.!?\"”])\s+(?=(?:assessor|learner|interviewer|candidate|q|a)"
                          r"\s*:\s)", re.IGNORECASE)
_ASKERS = {"assessor", "interviewer", "q", "question", "examiner", "iqa", "eqa"}
_END = re.compile(r"[.!?…]+[\"'”’)\]]*")
_NOT_SPACE = re.compile(r"\S")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
LOOK_BACK = 64  # characters read back from a full stop for the word it ends
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "no", "nos", "ref", "approx", "vs", "inc", "ltd",
                  "co", "tel", "ext", "fig", "p", "pp", "e.g", "i.e", "eg", "ie", "cf", "dept",
                  "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
                  "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
                  "prof", "rev", "gov", "assoc", "est", "min", "max", "avg", "nr", "a.m", "p.m"}
_SOFT_WRAP = 50  # a line this long, ending mid-sentence, was wrapped by an email program


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str  # source[start:end], exactly
    clean: str  # the words the rankers read: one line, without quote markers
    role: str = TEXT  # text, quoted (an earlier message in a reply) or question (the asker's)
    paragraph: int = 0  # which paragraph of the text it is in, counted from 0


@dataclass(frozen=True)
class Passage:
    """Sentences first..last (indexes into split()'s list, inclusive) read as one: a paragraph,
    or an asker's question with the answer to it. Only the rankers read passages; quotes are
    always whole sentences."""

    first: int
    last: int
    start: int  # the first sentence's start and the last one's end in the text
    end: int
    clean: str  # the sentences' clean words, joined
    role: str  # text or quoted (an exchange is the answer's: text)
    kind: str  # PARAGRAPH or EXCHANGE


@dataclass
class _Line:
    start: int  # where the content starts (after markers and labels)
    end: int  # where it ends, trailing whitespace left out
    role: str
    new: bool  # begins a new paragraph (a bullet, a speaker, a table row...)
    whole: bool  # a table row or heading: one segment, never joined or cut


def split(text: str) -> list[Segment]:
    """The sentences of `text`, in order, with their offsets (see the module's docstring)."""
    segments: list[Segment] = []
    for n, paragraph in enumerate(_paragraphs(text, _lines(text))):
        segments.extend(_sentences(text, paragraph, n))
    return segments


def passages(segments: list[Segment]) -> list[Passage]:
    """The passages of split()'s sentences, in order of their first sentence: each run of two
    or more sentences of one paragraph and one role, and each asker's question (its run of
    question sentences) with the answer after it (the text sentences that follow, to the end
    of the first answering paragraph or the next question). A criterion shown across a few
    sentences, or only by an answer read with its question ("Why?" "Because ..."), is found
    there when no single sentence shows it."""
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(segments):
        j = i
        while (j + 1 < len(segments) and segments[j + 1].paragraph == segments[i].paragraph
               and segments[j + 1].role == segments[i].role):
            j += 1
        if j > i and segments[i].role != QUESTION:
            spans.append((i, j, PARAGRAPH))
        if segments[i].role == QUESTION and j + 1 < len(segments) \
                and segments[j + 1].role == TEXT:
            k = j + 1
            while (k + 1 < len(segments) and segments[k + 1].role == TEXT
                   and segments[k + 1].paragraph == segments[j + 1].paragraph):
                k += 1
            spans.append((i, k, EXCHANGE))
        i = j + 1
    out = []
    for first, last, kind in spans:
        role = QUOTED if segments[first].role == QUOTED else TEXT
        out.append(Passage(first, last, segments[first].start, segments[last].end,
                           " ".join(s.clean for s in segments[first:last + 1]), role, kind))
    return out


def _lines(text: str) -> list[_Line | None]:
    """Each line's content, or None for a line that ends a paragraph and holds nothing to quote
    (blank, an email header, "On ... wrote:", "Dear Mr Hughes,", a sign-off and its
    signature)."""
    out: list[_Line | None] = []
    in_signature = False
    at_block_start = True  # headers are only read at the top of a message
    role = TEXT
    for m in _LINE.finditer(text):
        if m.start() == m.end():
            break
        raw = m.group().rstrip("\r\n")
        start = m.start()
        quoted = _QUOTED.match(raw)
        body_at = quoted.end() if quoted else 0
        body = raw[body_at:]
        if not body.strip() or _RULE.match(body):
            out.append(None)
            if not body.strip() and not quoted:
                at_block_start, role = True, TEXT
            continue
        if _QUOTE_INTRO.match(body):
            out.append(None)
            at_block_start, in_signature = True, False
            continue
        if (at_block_start and _HEADER.match(body)) or _GREETING.match(body):
            out.append(None)
            continue
        if body.strip() == "--" or _SIGN_OFF.match(body):
            out.append(None)
            in_signature = True
            continue
        if in_signature and not quoted and len(body.strip()) <= 70:
            out.append(None)  # a name, a job title, a phone number under the sign-off
            continue
        in_signature, at_block_start = False, False
        role = QUOTED if quoted else (role if role == QUESTION else TEXT)
        new, whole = False, False
        lead = 0
        for pattern in (_HEADING, _BULLET):
            marker = pattern.match(body)
            if marker:
                lead, new, whole = marker.end(), True, pattern is _HEADING
                break
        label = None if whole else _LABEL.match(body, lead)
        if label:
            role = QUOTED if quoted else (QUESTION if _asks(label) else TEXT)
            lead, new = label.end(), True
        elif not quoted and role == QUESTION and new:
            role = TEXT
        if _table_row(body):
            new = whole = True
        content = body[lead:]
        stripped = content.strip()
        begin = start + body_at + lead + (len(content) - len(content.lstrip()))
        out.append(_Line(begin, begin + len(stripped), role, new, whole))
    return out


def _asks(label: re.Match) -> bool:
    """Is the speaker the one asking (the assessor), whose words are not the evidence?
    "Assessor", "Q", "Dawn (assessor)"."""
    words = label.group(1).lower().replace("(", " ").replace(")", " ").split()
    return bool(set(words) & _ASKERS)


def _table_row(line: str) -> bool:
    if line.count("\t") >= 2 or line.count("|") >= 2:
        return True
    commas = line.count(",")
    return commas >= 3 and line.count(", ") < commas / 2


def _paragraphs(text: str, lines: list[_Line | None]) -> list[list[_Line]]:
    """Lines joined into paragraphs: a wrapped line continues its paragraph; a blank line, a
    bullet, a speaker, a table row, a heading or a change of role starts another."""
    paragraphs: list[list[_Line]] = []
    current: list[_Line] = []
    previous_text = ""
    for line in lines:
        if line is None:
            if current:
                paragraphs.append(current)
            current, previous_text = [], ""
            continue
        if current and (line.new or line.whole or current[-1].whole
                        or line.role != current[-1].role
                        or not _continues(previous_text, text[line.start:line.end])):
            paragraphs.append(current)
            current = []
        current.append(line)
        previous_text = text[line.start:line.end]
    if current:
        paragraphs.append(current)
    return paragraphs


def _continues(previous: str, line: str) -> bool:
    """Does `line` carry on the sentence of the line before it? Yes when `previous` stops mid-
    sentence and either was long enough to have been wrapped by an email program or `line`
    starts in lower case; a short line without a full stop is a heading or a field, and the
    next line starts afresh."""
    tail = previous.rstrip()
    if not tail or _END.fullmatch(tail[-1]) or tail.endswith((":", ";")):
        return False
    if line[:1].islower():
        return True
    return len(tail) >= _SOFT_WRAP or tail.endswith((",", "-", "–", " and", " or", " the"))


def _sentences(text: str, paragraph: list[_Line], number: int) -> list[Segment]:
    """Cut a paragraph into sentences. Works on the paragraph's words joined into one line
    (`clean`), with each character's place in `text`, so offsets survive the joins."""
    chars: list[str] = []
    where: list[int] = []
    for i, line in enumerate(paragraph):
        if i:
            chars.append(" ")
            where.append(line.start - 1)
        piece = text[line.start:line.end]
        for j, ch in enumerate(piece):
            if ch in "\r\n\t\u2028\u2029":
                ch = " "
            chars.append(ch)
            where.append(line.start + j)
    clean = "".join(chars)
    role = paragraph[0].role
    bounds = [0]
    turns: set[int] = set()
    if not paragraph[0].whole:
        turns = {cut.end() for cut in _INLINE_TURN.finditer(clean)}
        bounds.extend(turns)
        bounds.extend(end.end() for end in _END.finditer(clean)
                      if _is_sentence_end(clean, end.start(), end.end()))
    bounds = sorted(set(bounds + [len(clean)]))
    out = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a in turns:  # "... Learner: I rang her." inside one line: who speaks from here on
            turn = _LABEL.match(clean, a)
            if turn:
                role = QUOTED if role == QUOTED else (QUESTION if _asks(turn) else TEXT)
                a = turn.end()
        piece = clean[a:b]
        stripped = piece.strip()
        if not any(ch.isalnum() for ch in stripped):
            continue
        a += len(piece) - len(piece.lstrip())
        b = a + len(stripped)
        start, end = where[a], where[b - 1] + 1
        out.append(Segment(start, end, text[start:end], " ".join(stripped.split()), role,
                           number))
    return out


def _is_sentence_end(clean: str, at: int, after: int) -> bool:
    """Does the punctuation at clean[at:after] end a sentence? Not after an abbreviation or an
    initial, not inside a number (£34.99, 09.30), and only before a new sentence's start."""
    if after >= len(clean) or not clean[after].isspace():
        return False
    following = _NOT_SPACE.search(clean, after)
    if not following:
        return True
    first = following.group()
    if first.islower():
        return False
    if clean[at] == ".":
        # The word before the stop, read from at most LOOK_BACK characters: no abbreviation
        # or initial is that long, and reading the whole paragraph again at every full stop
        # made a long one ("A. A. A. ...") quadratic: 11 s for 50,000 characters.
        word = _WORD_BEFORE.search(clean, max(0, at - LOOK_BACK), at)
        token = word.group(1).lower() if word else ""
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            return False
    return first.isupper() or first.isdigit() or first in "\"'“‘([£$€#*-•"
