"""Signing in to Google: the OAuth installed-app flow, the token file, refresh and sign-out.

The person brings their own OAuth client ("Desktop app", docs/google.md); its JSON is
copied under the user config directory and remembered. The token (with its refresh
token) lives under the user data directory, beside the store. Both files are created
with mode 0600 by ``os.open`` and moved into place, so they are never readable by
others, not even for a moment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import platformdirs
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials

from core.errors import AuthError, ConnectorError, UsageError
from core.private_file import write_private

# Read-only, and as narrow as the API allows: events of the calendars (not their
# settings, sharing or free/busy of others) and the list of calendars. The single
# `calendar.readonly` scope would also read calendar settings and ACLs, which timeaudit
# never needs. https://developers.google.com/calendar/api/auth
SCOPES = (
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
)
CLIENT_SECRETS_FILE = "client_secret.json"
TOKEN_FILE = "google-token.json"  # noqa: S105 - a file name, not a secret
LOGIN_TIMEOUT_SECONDS = 300

EXPIRED = ("Google sign-in has expired or was revoked: run `timeaudit google login` "
           "to sign in again")
_NOT_GRANTED = ("Google did not grant read access to your calendars: run `timeaudit google "
                "login` again and tick both boxes")
NOT_SIGNED_IN = "not signed in to Google: run `timeaudit google login --client-secrets FILE`"


class Flow(Protocol):
    """What `login` needs of `google_auth_oauthlib.flow.InstalledAppFlow`."""

    def run_local_server(self, **kwargs: Any) -> Credentials: ...


FlowFactory = Callable[[str, Sequence[str]], Flow]


def client_secrets_path() -> Path:
    return platformdirs.user_config_path("timeaudit") / "google" / CLIENT_SECRETS_FILE


def token_path() -> Path:
    return platformdirs.user_data_path("timeaudit") / TOKEN_FILE


class SavedCredentials(Credentials):
    """User credentials that write themselves back to the token file after each refresh.

    The API client refreshes an expired access token by itself (on a 401); the new
    token must be kept, or every run would refresh again.
    """

    def refresh(self, request: Any) -> None:
        super().refresh(request)
        save_credentials(self)


def save_credentials(credentials: Credentials) -> Path:
    path = token_path()
    write_private(path, credentials.to_json().encode())
    return path


def remember_client_secrets(source: str | Path, *, label: str | None = None) -> Path:
    """Check an OAuth client file and keep a private copy; returns the copy's path.

    ``label`` names the file in messages (the name the person knows, when ``source`` is
    a temporary copy of an upload)."""
    label = label or str(source)
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{label}: no such file (download the OAuth client JSON of a "
                         "Desktop app, see docs/google.md)") from None
    except OSError as error:
        raise UsageError(f"{label}: cannot read the file: {error.strerror}") from None
    try:
        config = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise UsageError(f"{label}: not a JSON file (download the OAuth client JSON from "
                         "the Google Cloud console)") from None
    if not isinstance(config, dict) or "installed" not in config:
        kind = next(iter(config), "unknown") if isinstance(config, dict) else "unknown"
        raise UsageError(f"{label}: an OAuth client of type {kind!r}; create one of type "
                         "\"Desktop app\" (docs/google.md, step 4)")
    missing = [key for key in ("client_id", "client_secret", "auth_uri", "token_uri")
               if key not in config["installed"]]
    if missing:
        raise UsageError(f"{label}: the OAuth client lacks {', '.join(missing)}; download "
                         "it again from the Google Cloud console")
    target = client_secrets_path()
    write_private(target, data)
    return target


def _installed_app_flow(client_secrets: str, scopes: Sequence[str]) -> Flow:
    from google_auth_oauthlib.flow import InstalledAppFlow  # noqa: PLC0415 - only for login

    return InstalledAppFlow.from_client_secrets_file(client_secrets, scopes=list(scopes))


def login(client_secrets: str | Path | None = None, *, flow_factory: FlowFactory | None = None,
          open_browser: bool = True) -> Path:
    """Sign in with the browser and save the token; returns the token file's path.

    ``client_secrets``: the OAuth client JSON (Desktop app); remembered, so later
    logins can leave it out. ``flow_factory(client_secrets_path, scopes)`` makes the
    flow (default `InstalledAppFlow.from_client_secrets_file`); tests pass a fake.
    """
    from google_auth_oauthlib.flow import WSGITimeoutError  # noqa: PLC0415 - only for login
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error  # noqa: PLC0415

    if client_secrets is not None:
        secrets = remember_client_secrets(client_secrets)
    else:
        secrets = client_secrets_path()
        if not secrets.is_file():
            raise UsageError("no OAuth client yet: run `timeaudit google login "
                             "--client-secrets FILE` with the JSON of a Desktop-app client "
                             "(docs/google.md)")
    flow = (flow_factory or _installed_app_flow)(str(secrets), SCOPES)
    try:
        # offline + consent: Google returns a refresh token every time, also when this
        # client was authorised before (it only sends one on the first consent otherwise).
        credentials = flow.run_local_server(
            port=0, access_type="offline", prompt="consent", open_browser=open_browser,
            timeout_seconds=LOGIN_TIMEOUT_SECONDS,
            authorization_prompt_message="Sign in to Google in your browser; if it did "
            "not open, visit this URL:\n{url}",
            success_message="timeaudit is signed in. You can close this window.",
        )
    except OAuth2Error as error:
        raise AuthError(f"Google sign-in failed ({error.error}): run `timeaudit google "
                        "login` again and allow read access to your calendars") from None
    except Warning:  # oauthlib raises Warning("Scope has changed …") on partial consent
        raise AuthError(_NOT_GRANTED) from None
    except WSGITimeoutError:
        raise AuthError(f"no answer from the browser within {LOGIN_TIMEOUT_SECONDS // 60} "
                        "minutes: run `timeaudit google login` again") from None
    granted = getattr(credentials, "granted_scopes", None) or SCOPES
    if isinstance(granted, str):  # the token response's "scope" is space-separated
        granted = granted.split()
    if not set(SCOPES) <= set(granted):
        raise AuthError(_NOT_GRANTED)
    if not credentials.refresh_token:
        raise AuthError("Google sent no refresh token: run `timeaudit google login` again")
    return save_credentials(credentials)


def logout() -> bool:
    """Delete the saved token (the OAuth client copy stays); True when there was one.

    This forgets the sign-in on this machine; to revoke timeaudit's access at Google,
    remove it at https://myaccount.google.com/permissions.
    """
    path = token_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def load_credentials(*, request: Any = None) -> SavedCredentials:
    """The saved credentials, refreshed (and saved again) when the access token expired.

    ``request``: a `google.auth.transport.Request` (default: the ``requests`` one).
    Raises `AuthError` when nobody signed in or the sign-in expired or was revoked.
    """
    path = token_path()
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        credentials = SavedCredentials.from_authorized_user_info(info, list(SCOPES))
    except FileNotFoundError:
        raise AuthError(NOT_SIGNED_IN) from None
    except (OSError, ValueError, TypeError, KeyError):
        raise AuthError(f"{path}: not a usable Google token; run `timeaudit google login`"
                        ) from None
    if not set(SCOPES) <= set(info.get("scopes") or ()):
        raise AuthError("the saved Google sign-in lacks read access to calendars: run "
                        "`timeaudit google login`")
    if credentials.valid:
        return credentials
    if not credentials.refresh_token:
        raise AuthError(EXPIRED)
    if request is None:
        from google.auth.transport.requests import Request  # noqa: PLC0415

        request = Request()
    refresh(credentials, request)
    return credentials


def refresh(credentials: Credentials, request: Any) -> None:
    """Refresh the access token, turning Google's refusals into one-line errors."""
    try:
        credentials.refresh(request)
    except RefreshError:
        # invalid_grant: the refresh token expired (7 days for apps in "Testing"),
        # was revoked, or the password changed.
        raise AuthError(EXPIRED) from None
    except TransportError as error:
        raise ConnectorError(f"cannot reach Google to renew the sign-in ({type(error).__name__})"
                             "; check the connection and try again") from None
