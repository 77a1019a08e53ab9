"""A CSV import of learners, read and checked, waiting for its administrator to confirm it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class StagedImport(db.Model):
    """The rows of an uploaded file between the preview and the confirmation, so what is
    imported is what the preview showed (the file is not sent twice). Found by the SHA-256 of
    a random token in the preview's address, and only by the administrator who uploaded it;
    confirming sets `imported_at` in the same transaction as the import, once. Rows hold names
    and email addresses, so they are deleted when the import expires (`expires_at`)."""

    __tablename__ = "staged_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    # The file as read: how (encoding, separator, columns not imported) and its rows.
    content_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What was done, row by row, for the page after the import.
    result_json: Mapped[str] = mapped_column(Text, default="", server_default="")
