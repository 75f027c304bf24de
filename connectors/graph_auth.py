"""Signing in to Microsoft (365 work or school accounts, Outlook.com): MSAL, public client.

The person brings their own app registration (docs/microsoft.md): its *application
(client) ID* and the tenant (``common``, ``consumers``, ``organizations``, a tenant id or
domain) are remembered under the user config directory. Sign-in asks for one delegated
permission, ``Calendars.Read`` (MSAL adds ``openid``, ``profile`` and ``offline_access``
itself), by the device-code flow (any machine, the code is typed in a browser elsewhere)
or the browser flow (a browser on this machine, answer on ``http://localhost``).

MSAL's token cache (`msal.SerializableTokenCache`: the refresh token, access tokens, the
account) is kept in one file under the user data directory, beside the store, created
with mode 0600 and moved into place, so it is never readable by others, not even for a
moment. It is written back whenever MSAL changed it (a renewed access token).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import platformdirs

from core.errors import AuthError, ConnectorError, UsageError
from core.private_file import write_private

SCOPES = ("Calendars.Read",)
APP_FILE = "app.json"
CACHE_FILE = "microsoft-token-cache.json"
LOGIN_TIMEOUT_SECONDS = 300
AUTHORITY = "https://login.microsoftonline.com/{tenant}"

NOT_SIGNED_IN = ("not signed in to Microsoft: run `timeaudit microsoft login --client-id ID` "
                 "(docs/microsoft.md)")
EXPIRED = ("Microsoft sign-in has expired or was revoked: run `timeaudit microsoft login` "
           "to sign in again")
_NOT_GRANTED = ("Microsoft did not grant read access to your calendars (Calendars.Read): run "
                "`timeaudit microsoft login` again and accept")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_TENANT = re.compile(r"^(common|consumers|organizations|[0-9a-f-]{36}|[a-z0-9][a-z0-9.-]*"
                     r"\.[a-z]{2,})$", re.I)


class TokenCache(Protocol):
    """What is used of `msal.SerializableTokenCache`."""

    has_state_changed: bool

    def serialize(self) -> str: ...
    def deserialize(self, state: str | None) -> None: ...


class ClientApp(Protocol):
    """What is used of `msal.PublicClientApplication` (tests pass a fake)."""

    def initiate_device_flow(self, scopes: list[str]) -> dict[str, Any]: ...
    def acquire_token_by_device_flow(self, flow: dict[str, Any]) -> dict[str, Any]: ...
    def acquire_token_interactive(self, scopes: list[str], **kwargs: Any) -> dict[str, Any]: ...
    def get_accounts(self) -> list[dict[str, Any]]: ...
    def acquire_token_silent(self, scopes: list[str], account: Any
                             ) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class AppRegistration:
    """The person's app registration: a public client ("Mobile and desktop applications")."""

    client_id: str
    tenant: str = "common"

    @property
    def authority(self) -> str:
        return AUTHORITY.format(tenant=self.tenant)


AppFactory = Callable[[AppRegistration, TokenCache], ClientApp]


@dataclass(frozen=True)
class SignedIn:
    username: str  # the account's sign-in name (an e-mail address): the calendar's owner
    cache_path: Path


def app_path() -> Path:
    return platformdirs.user_config_path("timeaudit") / "microsoft" / APP_FILE


def cache_path() -> Path:
    return platformdirs.user_data_path("timeaudit") / CACHE_FILE


def check_registration(client_id: str, tenant: str) -> AppRegistration:
    client_id, tenant = client_id.strip(), (tenant or "common").strip()
    if not _GUID.match(client_id):
        raise UsageError(f"--client-id {client_id!r} is not an application (client) ID: copy "
                         "the GUID from the app registration's Overview page (docs/microsoft.md)")
    if not _TENANT.match(tenant):
        raise UsageError(f"--tenant {tenant!r}: use common, consumers, organizations, a "
                         "tenant id (GUID) or a domain such as contoso.onmicrosoft.com")
    return AppRegistration(client_id.lower(), tenant.lower())


def remember_app(registration: AppRegistration) -> Path:
    path = app_path()
    data = {"client_id": registration.client_id, "tenant": registration.tenant}
    write_private(path, json.dumps(data, indent=2).encode())
    return path


def load_app() -> AppRegistration:
    path = app_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return check_registration(str(data["client_id"]), str(data.get("tenant") or "common"))
    except FileNotFoundError:
        raise AuthError(NOT_SIGNED_IN) from None
    except (OSError, ValueError, KeyError, TypeError, UsageError):
        raise AuthError(f"{path}: not a usable app registration; run `timeaudit microsoft "
                        "login --client-id ID`") from None


def load_cache(*, empty: bool = False) -> TokenCache:
    """The token cache from its file (empty when there is none, or when ``empty``)."""
    import msal  # noqa: PLC0415 - only when signing in or syncing

    cache = msal.SerializableTokenCache()
    if empty:
        return cache
    path = cache_path()
    try:
        cache.deserialize(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        raise AuthError(f"{path}: not a usable token cache; run `timeaudit microsoft login`"
                        ) from None
    return cache


def save_cache(cache: TokenCache, *, always: bool = False) -> Path:
    path = cache_path()
    if always or cache.has_state_changed:
        write_private(path, cache.serialize().encode())
        cache.has_state_changed = False
    return path


def _msal_app(registration: AppRegistration, cache: TokenCache) -> ClientApp:
    import msal  # noqa: PLC0415

    try:
        return msal.PublicClientApplication(registration.client_id,
                                            authority=registration.authority,
                                            token_cache=cache)
    except ValueError as error:  # an authority MSAL cannot use
        raise AuthError(f"Microsoft does not accept the tenant {registration.tenant!r} "
                        f"({type(error).__name__}): check --tenant") from None
    except OSError as error:  # authority discovery needs the network
        raise ConnectorError(f"cannot reach Microsoft sign-in ({type(error).__name__}): "
                             "check the connection and try again") from None


def _granted(result: dict[str, Any]) -> bool:
    scope = result.get("scope") or ""
    granted = scope.split() if isinstance(scope, str) else list(scope)
    wanted = {s.lower() for s in SCOPES}
    return any(g.lower().rsplit("/", 1)[-1] in wanted for g in granted)


def _checked(result: dict[str, Any] | None) -> dict[str, Any]:
    if not result:
        raise AuthError(EXPIRED)
    if "access_token" not in result:
        code = str(result.get("error") or "unknown_error")
        if code in {"authorization_declined", "access_denied"}:
            raise AuthError("Microsoft sign-in was declined: run `timeaudit microsoft login` "
                            "again and accept read access to your calendars")
        if code in {"invalid_grant", "interaction_required", "login_required",
                    "consent_required"}:  # the refresh token expired or was revoked
            raise AuthError(EXPIRED)
        if code == "expired_token":
            raise AuthError("the sign-in code expired before it was entered: run `timeaudit "
                            "microsoft login` again")
        raise AuthError(f"Microsoft sign-in failed ({code}): check the app registration "
                        "(docs/microsoft.md) and run `timeaudit microsoft login` again")
    if not _granted(result):
        raise AuthError(_NOT_GRANTED)
    return result


def _username(result: dict[str, Any], app: ClientApp) -> str:
    claims = result.get("id_token_claims") or {}
    name = claims.get("preferred_username") or claims.get("email") or ""
    if not name:
        accounts = app.get_accounts()
        name = accounts[0].get("username", "") if accounts else ""
    return str(name)


def login(client_id: str | None = None, tenant: str | None = None, *, device_code: bool = True,
          show: Callable[[str], None] = print, app_factory: AppFactory | None = None
          ) -> SignedIn:
    """Sign in and keep MSAL's token cache; returns who signed in and where the cache is.

    ``client_id``/``tenant``: the app registration, remembered (later logins may leave them
    out). ``device_code``: the device-code flow (``show`` prints the code and the address
    to type it at); otherwise the browser flow on this machine. ``app_factory(registration,
    cache)`` makes the MSAL app (default `msal.PublicClientApplication`); tests pass a fake.
    """
    if client_id is not None:
        registration = check_registration(client_id, tenant or "common")
        remember_app(registration)
    else:
        registration = load_app()
        if tenant:
            registration = check_registration(registration.client_id, tenant)
            remember_app(registration)
    cache = load_cache(empty=True)  # a new sign-in replaces whatever was signed in before
    app = (app_factory or _msal_app)(registration, cache)
    scopes = list(SCOPES)
    if device_code:
        flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            code = str(flow.get("error") or "unknown_error")
            raise AuthError(f"Microsoft refused to start the device-code sign-in ({code}): "
                            "allow public client flows in the app registration "
                            "(docs/microsoft.md, step 3)")
        show(str(flow.get("message") or f"Open {flow.get('verification_uri')} and enter the "
                                          f"code {flow['user_code']}"))
        result = app.acquire_token_by_device_flow(flow)
    else:
        result = app.acquire_token_interactive(
            scopes, prompt="select_account", timeout=LOGIN_TIMEOUT_SECONDS)
    result = _checked(result)
    path = save_cache(cache, always=True)
    return SignedIn(_username(result, app), path)


@dataclass(frozen=True)
class Token:
    access_token: str
    username: str


class TokenSource:
    """Access tokens for one run: the MSAL app is made once (making one asks Microsoft
    where to sign in), each call takes a valid token from the cache (MSAL renews it with
    the refresh token when it expired) and saves the cache back when it changed."""

    def __init__(self, *, app_factory: AppFactory | None = None) -> None:
        registration = load_app()
        if not cache_path().exists():
            raise AuthError(NOT_SIGNED_IN)
        self._cache = load_cache()
        self._app = (app_factory or _msal_app)(registration, self._cache)
        accounts = self._app.get_accounts()
        if not accounts:
            raise AuthError(NOT_SIGNED_IN)
        self._account = accounts[0]
        self.username = str(self._account.get("username") or "")

    def __call__(self) -> str:
        result = _checked(self._app.acquire_token_silent(list(SCOPES), account=self._account))
        save_cache(self._cache)
        return str(result["access_token"])


def access_token(*, app_factory: AppFactory | None = None) -> Token:
    """A valid access token from the saved sign-in (see `TokenSource`). `AuthError` when
    nobody signed in or the sign-in expired."""
    source = TokenSource(app_factory=app_factory)
    return Token(source(), source.username)


def signed_in_username() -> str | None:
    """The account in the token cache, read from the file alone (no network)."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for account in (data.get("Account") or {}).values():
        if isinstance(account, dict) and account.get("username"):
            return str(account["username"])
    return None


def logout() -> bool:
    """Delete the token cache (the app registration stays); True when there was one.

    To revoke timeaudit's access at Microsoft as well: https://myapps.microsoft.com (work
    or school) or https://account.live.com/consent/Manage (personal accounts).
    """
    try:
        cache_path().unlink()
    except FileNotFoundError:
        return False
    return True
