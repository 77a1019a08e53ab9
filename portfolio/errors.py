"""Domain errors: services raise these; one handler turns them into a message or a 4xx."""

from dataclasses import dataclass


class DomainError(Exception):
    """A rule of the domain refused an action. The message is shown to the user."""

    status_code = 409


class FieldProblem(DomainError):
    """A DomainError about one field of the form: the page shows it beside that field."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class NotAllowed(DomainError):
    status_code = 403


class Locked(DomainError):
    """The thing exists but may not change now (for example: already judged)."""

    status_code = 409


class InvalidUpload(DomainError):
    status_code = 400


@dataclass(frozen=True)
class Problem:
    """One reason a rule refuses something, and the field it is about: a form's field or a
    CSV row's column. Check functions return a list of these, so a page can show every
    problem at once, and the service that acts raises the first as a DomainError."""

    field: str
    message: str


def refuse(problems: list[Problem]) -> None:
    """Raise the first problem as a DomainError about its field (nothing when there are
    none)."""
    if problems:
        raise FieldProblem(problems[0].message, problems[0].field)
