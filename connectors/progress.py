"""A calendar sync's window and its progress, page by page: one shape for the Google and
Microsoft connectors, read by the CLI's progress line and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SyncWindow:
    """The time range a full sync asks for (Google ``timeMin`` .. ``timeMax``, Graph
    ``startDateTime`` .. ``endDateTime``), UTC instants."""

    start: datetime
    end: datetime

    def covers(self, other: SyncWindow) -> bool:
        return self.start <= other.start and self.end >= other.end

    def union(self, other: SyncWindow) -> SyncWindow:
        return SyncWindow(min(self.start, other.start), max(self.end, other.end))


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
