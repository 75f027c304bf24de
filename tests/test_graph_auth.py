"""Microsoft sign-in (`connectors.graph_auth`) with a fake MSAL app over MSAL's real token cache.

The fake stands where `msal.PublicClientApplication` stands: it records what it is asked
(scopes, flows) and, when sign-in succeeds, puts tokens into the real
`msal.SerializableTokenCache` the way MSAL does (`cache.add` of a token response), so the
tests check what really lands in the file.
"""

from __future__ import annotations

import base64
import json
import stat
from typing import Any

import pytest

from connectors import graph_auth
from core.errors import AuthError, UsageError

CLIENT_ID = "3f2a8c1e-5b7d-4e9a-9c0f-1a2b3c4d5e6f"
TOKEN_ENDPOINT = "https://login.microsoftonline.com/common/oauth2/v2.0/token"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def token_response(scope: str = "Calendars.Read openid profile offline_access",
                   access_token: str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6IkFUMSJ9") -> dict[str, Any]:
    claims = {"preferred_username": "me@acme.test", "oid": "00000000-0000-0000-0000-0000000a11ce",
              "tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "sub": "s", "aud": CLIENT_ID,
              "iss": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"}
    return {"token_type": "Bearer", "scope": scope, "expires_in": 3599,
            "access_token": access_token, "refresh_token": "M.C5_BAY.0.U.-CrefreshToken!",
            "id_token": f"{_b64({'alg': 'none'})}.{_b64(claims)}.",
            "client_info": _b64({"uid": "00000000-0000-0000-0000-0000000a11ce",
                                 "utid": "9188040d-6c67-4c5b-b112-36a304b66dad"})}


class FakeApp:
    """What `graph_auth` uses of `msal.PublicClientApplication`."""

    def __init__(self, registration: graph_auth.AppRegistration, cache: Any, *,
                 response: dict[str, Any] | None = None,
                 flow: dict[str, Any] | None = None) -> None:
        self.registration, self.cache = registration, cache
        self.response = response if response is not None else token_response()
        self.flow = flow
        self.calls: list[tuple[str, Any]] = []

    def _grant(self, scopes: list[str]) -> dict[str, Any]:
        if "access_token" in self.response:
            self.cache.add({"client_id": self.registration.client_id, "scope": scopes,
                            "token_endpoint": TOKEN_ENDPOINT, "response": dict(self.response)})
            claims = json.loads(base64.urlsafe_b64decode(
                self.response["id_token"].split(".")[1] + "=="))
            return {**self.response, "id_token_claims": claims}
        return dict(self.response)

    def initiate_device_flow(self, scopes: list[str]) -> dict[str, Any]:
        self.calls.append(("initiate_device_flow", list(scopes)))
        return self.flow or {
            "user_code": "F7QW3KXLP", "device_code": "DAQABAAEAAA…",
            "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900,
            "interval": 5, "message": "To sign in, use a web browser to open the page "
            "https://microsoft.com/devicelogin and enter the code F7QW3KXLP to authenticate.",
            "scope": scopes}

    def acquire_token_by_device_flow(self, flow: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("acquire_token_by_device_flow", flow["user_code"]))
        return self._grant(list(flow["scope"]))

    def acquire_token_interactive(self, scopes: list[str], **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("acquire_token_interactive", (list(scopes), kwargs)))
        return self._grant(list(scopes))

    def get_accounts(self) -> list[dict[str, Any]]:
        return list(self.cache.search("Account"))

    def acquire_token_silent(self, scopes: list[str], account: Any) -> dict[str, Any] | None:
        self.calls.append(("acquire_token_silent", (list(scopes), account["username"])))
        found = list(self.cache.search("AccessToken", target=scopes))
        return {"access_token": found[0]["secret"], "scope": found[0]["target"]} if found \
            else None


def factory(apps: list[FakeApp], **kwargs: Any) -> graph_auth.AppFactory:
    def make(registration: graph_auth.AppRegistration, cache: Any) -> FakeApp:
        app = FakeApp(registration, cache, **kwargs)
        apps.append(app)
        return app
    return make


def test_device_code_login_asks_for_calendars_read_and_keeps_the_cache_private() -> None:
    apps: list[FakeApp] = []
    shown: list[str] = []
    signed = graph_auth.login(CLIENT_ID, "consumers", device_code=True, show=shown.append,
                              app_factory=factory(apps))
    (app,) = apps
    assert app.registration == graph_auth.AppRegistration(CLIENT_ID, "consumers")
    assert app.registration.authority == "https://login.microsoftonline.com/consumers"
    assert app.calls[0] == ("initiate_device_flow", ["Calendars.Read"])
    assert app.calls[1] == ("acquire_token_by_device_flow", "F7QW3KXLP")
    assert "F7QW3KXLP" in shown[0]
    assert "https://microsoft.com/devicelogin" in shown[0]
    assert signed.username == "me@acme.test"

    path = graph_auth.cache_path()
    assert signed.cache_path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    saved = json.loads(path.read_text(encoding="utf-8"))
    (refresh,) = saved["RefreshToken"].values()
    assert refresh["target"] == "Calendars.Read"
    assert refresh["client_id"] == CLIENT_ID
    (account,) = saved["Account"].values()
    assert account["username"] == "me@acme.test"
    assert {t["target"] for t in saved["AccessToken"].values()} == {"Calendars.Read"}
    # the registration is remembered for the next login and for syncs
    assert graph_auth.load_app() == graph_auth.AppRegistration(CLIENT_ID, "consumers")
    assert stat.S_IMODE(graph_auth.app_path().stat().st_mode) == 0o600
    assert graph_auth.signed_in_username() == "me@acme.test"


def test_a_cache_file_that_was_world_readable_is_replaced_by_a_private_one() -> None:
    path = graph_auth.cache_path()
    path.parent.mkdir(parents=True)
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o644)
    graph_auth.login(CLIENT_ID, device_code=True, show=lambda _: None,
                     app_factory=factory([]))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_browser_login_uses_the_interactive_flow() -> None:
    apps: list[FakeApp] = []
    graph_auth.login(CLIENT_ID, device_code=False, app_factory=factory(apps))
    name, (scopes, kwargs) = apps[0].calls[0]
    assert name == "acquire_token_interactive"
    assert scopes == ["Calendars.Read"]
    assert kwargs["prompt"] == "select_account"
    assert kwargs["timeout"] == graph_auth.LOGIN_TIMEOUT_SECONDS


def test_later_logins_reuse_the_remembered_registration() -> None:
    graph_auth.login(CLIENT_ID, "organizations", show=lambda _: None, app_factory=factory([]))
    apps: list[FakeApp] = []
    graph_auth.login(show=lambda _: None, app_factory=factory(apps))
    assert apps[0].registration.tenant == "organizations"


def test_an_access_token_comes_from_the_cache_silently() -> None:
    graph_auth.login(CLIENT_ID, show=lambda _: None, app_factory=factory([]))
    apps: list[FakeApp] = []
    token = graph_auth.access_token(app_factory=factory(apps))
    assert token.access_token == "eyJ0eXAiOiJKV1QiLCJub25jZSI6IkFUMSJ9"
    assert token.username == "me@acme.test"
    assert apps[0].calls == [("acquire_token_silent", (["Calendars.Read"], "me@acme.test"))]


def test_no_sign_in_is_one_clear_error() -> None:
    with pytest.raises(AuthError, match="not signed in to Microsoft"):
        graph_auth.access_token(app_factory=factory([]))
    graph_auth.remember_app(graph_auth.AppRegistration(CLIENT_ID))
    with pytest.raises(AuthError, match="not signed in to Microsoft"):
        graph_auth.access_token(app_factory=factory([]))


@pytest.mark.parametrize("answer", [
    None,  # no refresh token in the cache
    {"error": "invalid_grant", "error_description": "AADSTS700082: The refresh token has "
     "expired due to inactivity."},
    {"error": "interaction_required", "error_description": "AADSTS50076: MFA"},
])
def test_an_expired_sign_in_says_log_in_again(answer: dict[str, Any] | None) -> None:
    graph_auth.login(CLIENT_ID, show=lambda _: None, app_factory=factory([]))

    class Expired(FakeApp):
        def acquire_token_silent(self, scopes: list[str], account: Any
                                 ) -> dict[str, Any] | None:
            return answer

    with pytest.raises(AuthError, match="expired or was revoked"):
        graph_auth.access_token(app_factory=Expired)


@pytest.mark.parametrize(("response", "message"), [
    ({"error": "authorization_declined", "error_description": "AADSTS70000: declined"},
     "declined"),
    ({"error": "expired_token"}, "code expired"),
    ({"error": "invalid_client", "error_description": "AADSTS7000218 …"},
     r"failed \(invalid_client\)"),
    (token_response(scope="User.Read openid profile"), "did not grant read access"),
])
def test_refused_sign_ins_are_one_line_and_keep_nothing(response: dict[str, Any],
                                                        message: str) -> None:
    with pytest.raises(AuthError, match=message) as caught:
        graph_auth.login(CLIENT_ID, show=lambda _: None,
                         app_factory=factory([], response=response))
    assert "\n" not in str(caught.value)
    assert "AADSTS" not in str(caught.value)
    assert not graph_auth.cache_path().exists()


def test_a_device_flow_that_does_not_start_names_the_fix() -> None:
    with pytest.raises(AuthError, match="allow public client flows"):
        graph_auth.login(CLIENT_ID, show=lambda _: None,
                         app_factory=factory([], flow={"error": "invalid_client"}))


@pytest.mark.parametrize(("client_id", "tenant"), [
    ("not-a-guid", "common"), (CLIENT_ID, "https://evil.test/"), (CLIENT_ID, "a b")])
def test_bad_registrations_are_usage_errors(client_id: str, tenant: str) -> None:
    with pytest.raises(UsageError):
        graph_auth.login(client_id, tenant, app_factory=factory([]))


def test_login_without_a_registration_says_how() -> None:
    with pytest.raises(AuthError, match="--client-id"):
        graph_auth.login(app_factory=factory([]))


def test_logout_deletes_the_cache() -> None:
    graph_auth.login(CLIENT_ID, show=lambda _: None, app_factory=factory([]))
    assert graph_auth.logout() is True
    assert not graph_auth.cache_path().exists()
    assert graph_auth.logout() is False
    assert graph_auth.load_app().client_id == CLIENT_ID  # the registration stays


def test_a_new_login_replaces_the_previous_account() -> None:
    graph_auth.login(CLIENT_ID, show=lambda _: None, app_factory=factory([]))
    other = token_response()
    claims = {"preferred_username": "me@outlook.test", "oid": "o2", "tid": "t2", "sub": "s",
              "aud": CLIENT_ID, "iss": "https://login.microsoftonline.com/t2/v2.0"}
    other["id_token"] = f"{_b64({'alg': 'none'})}.{_b64(claims)}."
    other["client_info"] = _b64({"uid": "o2", "utid": "t2"})
    graph_auth.login(CLIENT_ID, show=lambda _: None, app_factory=factory([], response=other))
    saved = json.loads(graph_auth.cache_path().read_text(encoding="utf-8"))
    assert [a["username"] for a in saved["Account"].values()] == ["me@outlook.test"]


def test_a_signed_in_graph_client_makes_one_app_and_sends_the_cached_token() -> None:
    from graph_replay import Replay, ok  # noqa: PLC0415

    from connectors.graph import GraphClient, list_calendars  # noqa: PLC0415

    graph_auth.login(CLIENT_ID, show=lambda _: None, app_factory=factory([]))
    apps: list[FakeApp] = []
    replay = Replay(ok("calendars"), ok("calendars"))
    graph = GraphClient.signed_in(replay, app_factory=factory(apps))
    list_calendars(graph)
    list_calendars(graph)
    assert len(apps) == 1
    assert graph.account == "me@acme.test"
    assert {h["Authorization"] for _, h in replay.requests} == {
        "Bearer eyJ0eXAiOiJKV1QiLCJub25jZSI6IkFUMSJ9"}
