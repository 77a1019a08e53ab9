"""The plain text of uploaded files, read in the sandboxed child (parsers.py loads this
file by its path): an email's, a DOCX's HTML made text, a PDF's text layer. One reading for
both uses, quoting passages and finding personal data. Standard library and pypdfium2 only."""

from __future__ import annotations

import json

READ_LIMIT = 200_000  # characters of a file's text kept
TEXT_PAGES = 500  # pages of a PDF read for it (as many as can be previewed)


def short(exc: BaseException) -> str:
    """An exception in one line, for a reason or a problem."""
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def email_text(headers, body, attachments) -> str:
    """The email as one text (its redacted copy is this): headers, body, attachments' names."""
    content = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        content = html_text(content)
    lines = [f"{k}: {v}" for k, v in headers] + ["", content.strip()]
    if attachments:
        lines += ["", "Attachments (not in this copy):"] + [f"- {n} ({a})" for n, a in attachments]
    return "\n".join(lines) + "\n"


# Tags that start a new line in the plain text of a page (a DOCX made HTML, an email's body).
_BLOCKS = set("p div br li tr h1 h2 h3 h4 h5 h6 blockquote pre table ul ol hr dt dd section "
               "article header footer".split())
_UNSEEN = {"script", "style", "head", "title"}


def html_text(html: str) -> str:
    """HTML as the words a reader sees, a line per block."""
    import re
    from html.parser import HTMLParser

    parts: list[str] = []
    hidden = [0]

    class Text(HTMLParser):
        def handle_starttag(self, tag, attrs, end=False):
            if tag in _UNSEEN:
                hidden[0] = max(0, hidden[0] + (-1 if end else 1))
            elif tag in _BLOCKS or (tag in ("td", "th") and not end):
                parts.append("\n" if tag in _BLOCKS else "\t")

        def handle_endtag(self, tag):
            self.handle_starttag(tag, (), end=True)

        def handle_data(self, data):
            if not hidden[0]:
                parts.append(re.sub(r"[ \t\r\n]+", " ", data))

    reader = Text(convert_charrefs=True)
    reader.feed(html)
    reader.close()
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def pdf_text(source: str) -> tuple[str, bool]:
    """The text layer of the pages (none in a scan), a blank line between pages with text,
    stopping past READ_LIMIT characters or TEXT_PAGES pages; and whether it stopped early.
    One reading for both uses: quoting passages and finding personal data."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source)
    parts, size, pages = [], 0, 0
    try:
        pages = len(pdf)
        for index in range(min(pages, TEXT_PAGES)):
            page = pdf[index]
            textpage = page.get_textpage()
            # pdfium ends lines with CR LF and marks a soft line break with \x02 (or \ufffe).
            text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
            textpage.close()
            page.close()
            text = "".join(ch for ch in text.translate({0xFFFE: None})
                           if ch in "\n\t" or ch >= " ").strip()
            if text:
                parts.append(text)
                size += len(text) + 2
            if size > READ_LIMIT:
                break
    finally:
        pdf.close()
    joined = "\n\n".join(parts)
    return joined[:READ_LIMIT], len(joined) > READ_LIMIT or pages > TEXT_PAGES


def write_text(target: str, make) -> None:
    """The text, as JSON, to `target`; or why it could not be made (the upload stands)."""
    try:
        made = make()
    except Exception as exc:  # noqa: BLE001
        made, problem = "", short(exc)
    else:
        problem = ""
    text, cut = made if isinstance(made, tuple) else (made, False)
    with open(target, "w", encoding="utf-8") as fh:
        json.dump({"text": text[:READ_LIMIT], "cut": cut or len(text) > READ_LIMIT,
                   "problem": problem}, fh)
