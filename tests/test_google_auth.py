"""Signing in to Google: the installed-app flow, private token files, refresh, sign-out."""

from __future__ import annotations

import json
import stat
import threading
import time
import urllib.request
import webbrowser
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from google.oauth2.credentials import Credentials
from google_replay import DATA, body
from requests_oauthlib import OAuth2Session

from connectors import google_auth
from connectors.google_auth import SCOPES, client_secrets_path, login, logout, token_path
from core.errors import AuthError, UsageError

EXPIRED = ("Google sign-in has expired or was revoked: run `timeaudit google login` to sign "
           "in again")
DESKTOP = DATA / "client_secret_desktop.json"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def granted(token: str = "ya29.fresh") -> Credentials:
    client = json.loads(DESKTOP.read_text())["installed"]
    return Credentials(token=token, refresh_token="1//09refresh",
                       token_uri=client["token_uri"], client_id=client["client_id"],
                       client_secret=client["client_secret"], scopes=list(SCOPES),
                       granted_scopes=list(SCOPES), expiry=datetime(2099, 1, 1))


class FakeFlow:
    """Stands in for InstalledAppFlow: records how it was made and run."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.made_with: tuple[str, tuple[str, ...]] | None = None
        self.run_with: dict[str, Any] = {}

    def factory(self, client_secrets: str, scopes: Any) -> FakeFlow:
        self.made_with = (client_secrets, tuple(scopes))
        return self

    def run_local_server(self, **kwargs: Any) -> Credentials:
        self.run_with = kwargs
        return self.credentials


class FakeTokenEndpoint:
    """A google.auth transport Request that answers the token endpoint with a recording."""

    def __init__(self, status: int, stem: str) -> None:
        self.status, self.stem = status, stem
        self.calls: list[str] = []

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None,
                 **kwargs: Any) -> Any:
        self.calls.append(url)
        response = type("Response", (), {})()
        response.status = self.status
        response.headers = {"content-type": "application/json"}
        response.data = globals()["body"](self.stem).encode()
        return response


def test_login_saves_a_private_token_and_a_private_client_copy() -> None:
    flow = FakeFlow(granted())
    path = login(DESKTOP, flow_factory=flow.factory)

    assert path == token_path()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(client_secrets_path()) == 0o600
    assert client_secrets_path().read_bytes() == DESKTOP.read_bytes()
    assert flow.made_with == (str(client_secrets_path()), SCOPES)
    assert {k: flow.run_with[k] for k in ("port", "access_type", "prompt")} == \
        {"port": 0, "access_type": "offline", "prompt": "consent"}
    saved = json.loads(path.read_text())
    assert (saved["token"], saved["refresh_token"], saved["scopes"]) == \
        ("ya29.fresh", "1//09refresh", list(SCOPES))


def test_the_client_file_is_remembered() -> None:
    login(DESKTOP, flow_factory=FakeFlow(granted()).factory)
    again = FakeFlow(granted("ya29.second"))
    login(flow_factory=again.factory)
    assert again.made_with is not None
    assert again.made_with[0] == str(client_secrets_path())
    assert json.loads(token_path().read_text())["token"] == "ya29.second"


def test_a_token_file_with_wide_permissions_is_replaced_by_a_private_one() -> None:
    path = token_path()
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    path.chmod(0o644)
    login(DESKTOP, flow_factory=FakeFlow(granted()).factory)
    assert mode(path) == 0o600
    assert not list(path.parent.glob(".*partial"))


def test_first_login_needs_the_client_file() -> None:
    with pytest.raises(UsageError) as caught:
        login(flow_factory=FakeFlow(granted()).factory)
    assert str(caught.value) == (
        "no OAuth client yet: run `timeaudit google login --client-secrets FILE` with the JSON "
        "of a Desktop-app client (docs/google.md)")


def test_a_web_client_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        login(DATA / "client_secret_web.json", flow_factory=FakeFlow(granted()).factory)
    assert str(caught.value).endswith(
        "client_secret_web.json: an OAuth client of type 'web'; create one of type "
        "\"Desktop app\" (docs/google.md, step 4)")
    assert not client_secrets_path().exists()


def test_partial_consent_is_refused() -> None:
    credentials = granted()
    credentials._granted_scopes = [SCOPES[1]]  # the person unticked the events box
    with pytest.raises(AuthError, match=r"^Google did not grant read access to your calendars"):
        login(DESKTOP, flow_factory=FakeFlow(credentials).factory)
    assert not token_path().exists()


def test_logout_deletes_the_token() -> None:
    login(DESKTOP, flow_factory=FakeFlow(granted()).factory)
    assert logout() is True
    assert not token_path().exists()
    assert client_secrets_path().exists()  # the OAuth client stays remembered
    assert logout() is False


def test_not_signed_in() -> None:
    with pytest.raises(AuthError) as caught:
        google_auth.load_credentials()
    assert str(caught.value) == ("not signed in to Google: run `timeaudit google login "
                                 "--client-secrets FILE`")


def _expired_token() -> None:
    credentials = granted("ya29.old")
    credentials.expiry = datetime(2026, 1, 1)
    google_auth.write_private(token_path(), credentials.to_json().encode())


def test_expired_or_revoked_token_is_one_line() -> None:
    _expired_token()
    endpoint = FakeTokenEndpoint(400, "oauth_invalid_grant")
    with pytest.raises(AuthError) as caught:
        google_auth.load_credentials(request=endpoint)
    assert str(caught.value) == EXPIRED
    assert endpoint.calls == ["https://oauth2.googleapis.com/token"]


def test_a_refreshed_token_is_saved_privately() -> None:
    _expired_token()
    credentials = google_auth.load_credentials(request=FakeTokenEndpoint(
        200, "oauth_token_granted"))
    assert credentials.token == "ya29.a0AfB_byC-test-access-token-0001"
    saved = json.loads(token_path().read_text())
    assert saved["token"] == "ya29.a0AfB_byC-test-access-token-0001"
    assert mode(token_path()) == 0o600


class Browser:
    """Stands in for webbrowser: answers the consent page by calling the redirect URI of
    the flow's local server, the way Google's page sends the browser back."""

    def __init__(self, **answer: str) -> None:
        self.answer = answer
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        query = parse_qs(urlsplit(url).query)
        redirect = query["redirect_uri"][0]
        answer = urlencode({"state": query["state"][0], **self.answer})

        def follow() -> None:
            with urllib.request.urlopen(f"{redirect}?{answer}", timeout=10) as response:
                response.read()

        threading.Thread(target=follow, daemon=True).start()
        return True


def test_installed_app_flow_wiring(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The real InstalledAppFlow and its local server; only the code-for-token exchange
    with Google is replaced."""
    browser = Browser(code="4/0Atest", scope=" ".join(SCOPES))

    def fetch_token(self: OAuth2Session, token_url: str, **kwargs: Any) -> dict:
        assert token_url == "https://oauth2.googleapis.com/token"
        assert "code=4%2F0Atest" in kwargs["authorization_response"]
        self.token = {**json.loads(body("oauth_token_granted")), "scope": list(SCOPES),
                      "expires_at": time.time() + 3599}
        return self.token

    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    monkeypatch.setattr(OAuth2Session, "fetch_token", fetch_token)

    path = login(DESKTOP)

    [url] = browser.opened
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://accounts.google.com/o/oauth2/auth?")
    assert (query["access_type"], query["prompt"], query["response_type"]) == \
        (["offline"], ["consent"], ["code"])
    assert query["scope"] == [" ".join(SCOPES)]
    assert query["redirect_uri"][0].startswith("http://localhost:")
    saved = json.loads(path.read_text())
    assert saved["refresh_token"] == "1//09test-refresh-token-0001"
    assert mode(path) == 0o600
    assert "Sign in to Google in your browser" in capsys.readouterr().out


def test_consent_refused_in_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webbrowser, "get", lambda using=None: Browser(error="access_denied"))
    with pytest.raises(AuthError) as caught:
        login(DESKTOP)
    assert str(caught.value) == (
        "Google sign-in failed (access_denied): run `timeaudit google login` again and allow "
        "read access to your calendars")
    assert not token_path().exists()
