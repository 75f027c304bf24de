"""A real CalDAV server for the tests: Radicale on 127.0.0.1, a temporary storage folder,
one htpasswd user (plain text: no extra dependency), started and stopped by the tests.

Calendars are loaded into it through CalDAV (the `caldav` library), as a person's
calendar app would.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import caldav
import icalendar

USER, PASSWORD = "alice", "correct horse battery staple"
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RadicaleServer:
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> RadicaleServer:
        users = self.folder / "users"
        users.write_text(f"{USER}:{PASSWORD}\n")
        log = (self.folder / "radicale.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", "",
             "--server-hosts", f"127.0.0.1:{self.port}",
             "--storage-filesystem-folder", str(self.folder / "storage"),
             "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users),
             "--auth-htpasswd-encryption", "plain", "--rights-type", "owner_only",
             "--logging-level", "error"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"radicale exited: {(self.folder / 'radicale.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("radicale did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def principal(self) -> Any:
        client = caldav.DAVClient(url=self.url, username=USER, password=PASSWORD, timeout=10)
        return client.principal()

    def make_calendar(self, cal_id: str, name: str) -> Any:
        return self.principal().make_calendar(name=name, cal_id=cal_id)

    def calendar(self, cal_id: str) -> Any:
        return self.principal().calendar(cal_id=f"{self.url}{USER}/{cal_id}/")


@contextmanager
def running(folder: Path) -> Iterator[RadicaleServer]:
    server = RadicaleServer(folder).start()
    try:
        yield server
    finally:
        server.stop()


def split_by_uid(text: str) -> list[str]:
    """An iCalendar file as CalDAV objects: one per UID, each with the file's VTIMEZONEs
    (RFC 4791 §4.1: one UID per calendar object resource)."""
    calendar = icalendar.Calendar.from_ical(text)
    zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    by_uid: dict[str, list] = {}
    for component in calendar.subcomponents:
        if component.name == "VEVENT":
            by_uid.setdefault(str(component["UID"]), []).append(component)
    objects = []
    for events in by_uid.values():
        one = icalendar.Calendar()
        one.add("VERSION", "2.0")
        one.add("PRODID", "-//timeaudit tests//EN")
        for component in (*zones, *events):
            one.add_component(component)
        objects.append(one.to_ical().decode())
    return objects


def event(uid: str, summary: str, start: str, end: str, extra: str = "") -> str:
    """A one-event iCalendar object; times as ``20261116T090000Z``."""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//timeaudit tests//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\n"
            f"DTSTART:{start}\r\nDTEND:{end}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")
