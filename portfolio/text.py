"""Learner text: Markdown to HTML, then sanitised. One function for the browser and the PDF.

Python-Markdown has no safe mode (raw HTML, javascript: links and attribute lists pass
through), so its output always goes through nh3 with an allow-list. Images are not allowed
in accounts: in a PDF an image URL is a request the server would make for the learner.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from html.parser import HTMLParser

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s",
    "blockquote", "ul", "ol", "li", "code", "pre", "a", "table", "thead", "tbody", "tr", "th",
    "td", "dl", "dt", "dd", "abbr", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"},
                      "td": {"align"}, "ol": {"start"}}
SAFE_SCHEMES = ("https://", "http://", "mailto:")
# attr_list is left out on purpose: `{: onclick=... }` would otherwise become an attribute.
EXTENSIONS = ["tables", "fenced_code", "sane_lists", "def_list", "abbr"]


def _keep_safe_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        # Absolute web and mail links only: relative URLs would point into the app itself.
        return value if value.strip().lower().startswith(SAFE_SCHEMES) else None
    return value


def render_markdown(source: str | None) -> Markup:
    """Markdown -> sanitised HTML, safe to put in a page or the PDF."""
    return sanitize_html(markdown.markdown(source or "", extensions=EXTENSIONS,
                                           output_format="html"))


def sanitize_html(html: str) -> Markup:
    """Any HTML we did not write (Markdown output, a converted DOCX, an email body), cleaned
    against the same allow-list: no images, scripts, styles or relative links."""
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"},
                      attribute_filter=_keep_safe_links, link_rel="noopener noreferrer nofollow",
                      strip_comments=True, clean_content_tags={"script", "style"})
    return Markup(clean)  # noqa: S704  (nh3 has just sanitised it against the allow-list)


def safe_cell(cell) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: make them text."""
    text = "" if cell is None else str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(rows) -> str:
    """Rows as CSV text, every cell made safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def one_line(text: str | None) -> str | None:
    """Single-line text (titles, email headers): every run of whitespace, line breaks (CR, LF
    and Unicode's) included, becomes one space; ends trimmed."""
    return " ".join(text.split()) if text else text


def slug(text: str) -> str:
    """ASCII letters, digits and hyphens, for file names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower() or "x"


# HTML to plain text ------------------------------------------------------------------------

_PARAGRAPH = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table",
              "ul", "ol", "dl", "hr", "section", "article", "header", "footer", "address",
              "figure", "body", "html"}
_LINE = {"br", "li", "tr", "dt", "dd", "caption"}
_CELL = {"td", "th"}
_HIDDEN = {"script", "style", "head", "title", "template", "noscript"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.pre = 0

    def _break(self, mark: str) -> None:
        self.out.append(mark)

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "pre":
            self.pre += 1
        if tag in _PARAGRAPH:
            self._break("\x00P")
        elif tag in _LINE:
            self._break("\x00L")
        elif tag in _CELL:
            self._break("\x00T")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _PARAGRAPH:
            self._break("\x00P")
        elif tag in ("li", "tr", "dt", "dd", "caption"):
            self._break("\x00L")

    def handle_data(self, data):
        if self.hidden:
            return
        if self.pre:  # kept as it is: spaces and line breaks held out of the tidying below
            self.out.append(data.replace(" ", "\x01").replace("\n", "\x02"))
        else:
            self.out.append(re.sub(r"\s+", " ", data))


def _strongest(match: re.Match) -> str:
    marks = match.group()
    return "\n\n" if "P" in marks else "\n" if "L" in marks else "\t"


def plain_text(html: str) -> str:
    """The text a person reads in some HTML, as plain text: a blank line between paragraphs
    and blocks, a line per list item, table row or line break, a tab between table cells, the
    words of each run of text with HTML's own whitespace rule (preformatted text kept as it
    is), and nothing of scripts, styles or the head. List items carry no bullet or number: a
    passage copied from the page (where the browser leaves them out) reads the same.
    """
    parser = _Text()
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.out)
    # A run of breaks is the strongest of them (a row's first cell starts its line).
    text = re.sub(r"(?:[ \t]*\x00[PLT][ \t]*)+", _strongest, text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text.strip())
    return text.replace("\x01", " ").replace("\x02", "\n").strip()
