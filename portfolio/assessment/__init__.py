"""Assessment: assessors' decisions on claims. The judging pages come with issue 3."""
