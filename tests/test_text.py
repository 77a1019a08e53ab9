"""Learner Markdown is sanitised: nothing that runs, fetches or restyles survives."""

from html.parser import HTMLParser

import pytest

from portfolio.text import ALLOWED_TAGS, render_markdown


class Elements(HTMLParser):
    """Every element and attribute in a piece of HTML."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src='https://evil.example'></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "<div style='background:url(javascript:alert(1))'>x</div>",
    "<style>body{display:none}</style>",
    "A paragraph\n{: onmouseover=\"alert(1)\" }",
    "# Heading {: onclick=alert(1) }",
    "[x](https://a.example){: rel=\"attachment\" onclick=alert(1) }",
    "<form action='https://evil.example'><input name=p></form>",
    "<object data='x.swf'></object>",
])
def test_dangerous_input_leaves_nothing_live(source):
    html = str(render_markdown(source))
    for tag, attrs in Elements(html).found:
        assert tag in ALLOWED_TAGS - {"img"}, html
        assert not any(name.startswith("on") or name in ("style", "src") for name in attrs), html
        href = attrs.get("href", "")
        assert href.startswith(("https://", "http://", "mailto:")) or not href, html
        assert attrs.get("rel", "") in ("", "noopener noreferrer nofollow"), html
    # What is left of an attack is inert text, escaped.
    assert "<script" not in html.lower() and "<style" not in html.lower()


def test_raw_html_is_removed_but_its_text_kept():
    html = str(render_markdown("Before <b onclick='x'>bold</b> <span class='x'>span</span> after"))
    assert "onclick" not in html and "<span" not in html
    assert "span" in html and "bold" in html


def test_ordinary_markdown_survives():
    html = str(render_markdown("**Bold** and *em*\n\n- one\n- two\n\n[ICS](https://www.instituteofcustomerservice.com)"))
    assert "<strong>Bold</strong>" in html and "<em>em</em>" in html
    assert "<li>one</li>" in html
    assert 'href="https://www.instituteofcustomerservice.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize("source", ["[x](/admin/)", "[x](../evidence/1)", "[x](//evil.example/)",
                                    "[x](file:///etc/passwd)"])
def test_relative_and_file_links_lose_their_target(source):
    assert "href" not in str(render_markdown(source))


def test_images_are_not_allowed_in_accounts():
    html = str(render_markdown("![pic](http://127.0.0.1:5000/secret.png) ![x](file:///etc/passwd)"))
    assert "<img" not in html and "127.0.0.1" not in html and "/etc/passwd" not in html


def test_empty_and_none():
    assert str(render_markdown(None)) == "" and str(render_markdown("")) == ""
