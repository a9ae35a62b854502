"""French formatting for pages: dates like « 6 novembre 2026 »."""

from __future__ import annotations

from datetime import UTC, datetime

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french_date(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {MONTHS[moment.month - 1]} {moment.year}"


def french_datetime(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{french_date(moment)} à {moment.hour:02d} h {moment.minute:02d} GMT"
