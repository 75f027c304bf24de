"""The dashboard connects a CalDAV account (Radicale started here) and reads its events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from radicale_server import PASSWORD, USER, RadicaleServer, event, running
from streamlit.testing.v1 import AppTest

from connectors import caldav_secret, caldav_store

pytestmark = pytest.mark.filterwarnings(
    "ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    with running(tmp_path_factory.mktemp("radicale")) as started:
        calendar = started.make_calendar("team", "Team")
        calendar.add_event(event("review@tests", "Design review", "20261117T090000Z",
                                 "20261117T100000Z"))
        yield started


def connect(server: RadicaleServer, password: str) -> AppTest:
    app = AppTest.from_file("../app.py", default_timeout=120)
    app.run()
    app.text_input(key="caldav_url").input(server.url)
    app.text_input(key="caldav_user").input(USER)
    app.text_input(key="caldav_password").input(password)
    app.button(key="caldav_connect").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_a_wrong_password_is_one_line_and_keeps_what_was_typed(server: RadicaleServer) -> None:
    app = connect(server, "wrong")
    [message] = [e.value for e in app.error]
    assert message.startswith("the CalDAV server refused the user name or password")
    assert app.text_input(key="caldav_url").value == server.url
    assert app.text_input(key="caldav_password").value == ""  # the password is not kept
    assert caldav_store.load_account() is None


def test_connecting_syncs_and_the_calendar_is_read(server: RadicaleServer) -> None:
    app = connect(server, PASSWORD)
    [message] = [s.value for s in app.success if "CalDAV" in s.value or "Signed in" in s.value]
    assert message.startswith("Signed in; the password is in ")
    assert "calendar 'Team': full sync" in message
    assert caldav_secret.password_path().exists()
    assert any("Team" in m.value for m in app.markdown)  # listed among the calendars
    assert not [e.value for e in app.error]
    app.button(key="caldav_logout").click().run()
    assert caldav_store.load_account() is None
    assert not caldav_secret.password_path().exists()
