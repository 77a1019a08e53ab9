"""Domain errors: services raise these; one handler turns them into a message or a 4xx."""


class DomainError(Exception):
    """A rule of the domain refused an action. The message is shown to the user."""

    status_code = 409


class NotAllowed(DomainError):
    status_code = 403


class Locked(DomainError):
    """The thing exists but may not change now (for example: already judged)."""

    status_code = 409


class InvalidUpload(DomainError):
    status_code = 400
