"""The text of every unit version a portfolio is judged against, kept when first used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class UnitVersion(db.Model):
    __tablename__ = "unit_version"
    __table_args__ = (UniqueConstraint("unit_id", "version", name="uq_unit_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))  # sha256 of `text`
    text: Mapped[str] = mapped_column(Text)  # the spec file as it was
    source: Mapped[str] = mapped_column(String(200))  # its file name
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
