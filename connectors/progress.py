"""Progress of a calendar sync, page by page: one shape for the Google and Microsoft
connectors, read by the CLI's progress line and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Labelled(Protocol):
    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class SyncProgress:
    """Where a sync is, after each page."""

    calendar: Labelled
    index: int  # 1-based position among the calendars being synced
    total: int
    full: bool
    pages: int
    events: int
    done: bool = False

    def __str__(self) -> str:
        what = "full sync" if self.full else "changes"
        pages = "1 page" if self.pages == 1 else f"{self.pages} pages"
        tail = "" if self.done else " …"
        return (f"[{self.index}/{self.total}] {self.calendar.label}: {what}, {pages}, "
                f"{self.events:,} events{tail}")
