"""The dashboard's Microsoft panel, headless (AppTest), with a fake MSAL app and recorded
Graph responses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from graph_replay import Replay, client, failing, ok
from streamlit.testing.v1 import AppTest
from test_graph_auth import CLIENT_ID, FakeApp, factory

from connectors import graph_auth, graph_store
from connectors import graph_session as microsoft_commands

FULL = (ok("calendars"), ok("sync_full_page1"), ok("sync_full_page2"), ok("sync_full_page3"))

pytestmark = pytest.mark.filterwarnings(
    "ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning",
)


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Replay]:
    def use(*responses: object) -> Replay:
        replay = Replay(*responses)  # type: ignore[arg-type]
        monkeypatch.setattr(microsoft_commands, "client_factory", lambda: client(replay))
        return replay
    return use


def test_connecting_without_a_client_id_says_what_to_do(app: AppTest) -> None:
    app.button(key="microsoft_connect").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "enter the application (client) ID of your app registration (docs/microsoft.md, "
        "step 5)"]


def test_connect_with_a_device_code_sync_and_read(app: AppTest, answers: Callable[..., Replay],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    apps: list[FakeApp] = []
    monkeypatch.setattr(microsoft_commands, "app_factory", factory(apps))
    answers(*FULL)
    app.text_input(key="microsoft_client_id").set_value(CLIENT_ID)
    app.button(key="microsoft_connect").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert apps[0].calls[0] == ("initiate_device_flow", ["Calendars.Read"])
    assert graph_auth.cache_path().exists()
    assert graph_store.sync_states()  # synced
    assert [s.value for s in app.success if "default calendar" in s.value] == [
        "default calendar: full sync, 8 received, 8 stored"]
    # the sample steps aside: the synced default calendar is the source now
    labels = [m.value for m in app.sidebar.markdown]
    assert any("Microsoft default calendar" in label for label in labels)
    assert not [e.value for e in app.error]


def test_a_failing_sync_is_one_line_beside_the_panel(app: AppTest,
                                                    answers: Callable[..., Replay]) -> None:
    graph_auth.login(CLIENT_ID, show=lambda _: None, app_factory=factory([]))
    app.run()
    answers(ok("calendars"), failing(500, "error_503_service_unavailable"))
    app.button(key="microsoft_sync").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "Microsoft Graph is failing (HTTP 500) for the default calendar: try again later; "
        "nothing was changed locally"]
    app.button(key="microsoft_logout").click().run()
    assert not graph_auth.cache_path().exists()
