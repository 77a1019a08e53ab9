"""Entry point: `flask --app app run` (and every `flask --app app ...` command)."""

from portfolio import create_app

app = create_app()
