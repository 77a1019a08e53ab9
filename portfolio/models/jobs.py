"""Work done outside the request: PDF and EQA-pack exports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .base import UTCDateTime, utcnow
from .portfolios import Portfolio


class ExportJob(db.Model):
    """A PDF export made outside the request, with its progress for the waiting page.

    kind "portfolio": one portfolio's signed PDF. kind "pack": the EQA sample pack (a ZIP) of
    the portfolios in `portfolio_ids` (comma-separated), with no single portfolio_id.
    """

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="portfolio",
                                      server_default="portfolio")
    portfolio_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio.id"), index=True)
    portfolio_ids: Mapped[str] = mapped_column(Text, default="", server_default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # waiting (behind the requester's other jobs), queued, running, done, failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    step: Mapped[str] = mapped_column(String(200), default="Waiting to start")
    percent: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str] = mapped_column(String(255), default="")
    digest: Mapped[str] = mapped_column(String(64), default="")  # what the PDF signs
    # Where the finished file is in the export store (export/services.py).
    key: Mapped[str] = mapped_column(String(255), default="", server_default="")
    queue_id: Mapped[str] = mapped_column(String(64), default="", server_default="")  # RQ's id
    beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last sign of life
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    portfolio: Mapped[Portfolio | None] = relationship()
    requested_by: Mapped[User] = relationship()

    @property
    def pack_ids(self) -> list[int]:
        return [int(i) for i in self.portfolio_ids.split(",") if i]
