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
