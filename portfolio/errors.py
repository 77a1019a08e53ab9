"""Domain errors: services raise these; one handler turns them into a message or a 4xx."""


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
