"""The only URLs the PDF renderer may fetch: our export stylesheet, and this portfolio's
evidence files by hash (for a photo, the print copy that `files` names: images.py; the
original is attached, never fetched). Everything else (file:, http(s):, data:, relative
paths, other portfolios' files) is refused and recorded.

WeasyPrint's default fetcher would read local files and call local web addresses for learner
content such as <img src="file:///etc/passwd"> (see TECH-NOTES.md); this subclass never opens a
URL itself, so nothing can be reached through redirects either.
"""

from __future__ import annotations

from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "portfolio:"
STYLESHEET = SCHEME + "static/export.css"


def evidence_url(sha256: str) -> str:
    return f"{SCHEME}evidence/{sha256}"


class PortfolioFetcher(URLFetcher):
    def __init__(self, *, stylesheet: Path, files: dict[str, tuple[Path, str]]):
        """`files` maps the sha256 of each of this portfolio's files to (path, mime type)."""
        super().__init__(allowed_protocols=["portfolio"], allow_redirects=False, timeout=1)
        self._stylesheet = stylesheet
        self._files = files
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url == STYLESHEET:
            return URLFetcherResponse(url, self._stylesheet.read_bytes(),
                                      {"Content-Type": "text/css; charset=utf-8"})
        if url.startswith(SCHEME + "evidence/"):
            entry = self._files.get(url.removeprefix(SCHEME + "evidence/"))
            if entry is not None:
                path, mime = entry
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        self.refused.append(url)
        raise ValueError(f"Refused by the portfolio fetcher: {url[:200]}")
