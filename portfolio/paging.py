"""One page of a long list that is already in memory (the IQA plan's proposals and samples);
lists read from the database page in SQL instead (portfolios/services.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

PER_PAGE = 25


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    pages: int
    first: int  # 1-based positions of the first and last item shown
    last: int


def page_of(items: list[Any], page: int, per_page: int = PER_PAGE) -> Page:
    """The `page`th slice of `items`; a page past either end shows the nearest one."""
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    shown = items[start:start + per_page]
    return Page(shown, page, pages, start + 1 if shown else 0, start + len(shown))
