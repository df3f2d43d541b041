"""Instants as the command line prints them: always with their zone, in UTC.

A time without a zone is a guess for whoever reads it on another host or in another season;
servers, stores and the journal keep UTC, so the command line says UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_minute(at: datetime) -> str:
    """``2026-12-01 19:35 UTC``; a naive time is taken as UTC (what the cockpit writes)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return f"{aware.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def utc_minute_of(text: str) -> str:
    """The same for an ISO 8601 text (the journal's and the state store's columns)."""
    return utc_minute(datetime.fromisoformat(text))
