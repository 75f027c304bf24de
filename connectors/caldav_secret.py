"""The CalDAV password: in the OS keyring where one is usable, else in a private file.

Never in the configuration, the store or a log. The keyring is the `keyring` package's
default backend (macOS Keychain, Windows Credential Locker, the Secret Service of a Linux
desktop…); on a machine without one (a server, a container) the password goes into
``<user data dir>/timeaudit/caldav-password``, created with mode 0600 and replaced
atomically, so it is never readable by others, not even for a moment. `save_password`
says which was used; the login message repeats it.
"""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.errors
import platformdirs

from core.errors import AuthError
from core.private_file import write_private

SERVICE = "timeaudit-caldav"
PASSWORD_FILE = "caldav-password"  # noqa: S105 - a file name, not a secret
KEYRING, FILE = "keyring", "file"


def password_path() -> Path:
    return platformdirs.user_data_path("timeaudit") / PASSWORD_FILE


def _key(server_url: str, username: str) -> str:
    return f"{username} @ {server_url}"


def _usable_keyring() -> keyring.backend.KeyringBackend | None:
    """The default backend unless it is the "no keyring here" one."""
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring set-up is no keyring
        return None
    priority = getattr(backend, "priority", 0)
    if type(backend).__module__.startswith("keyring.backends.fail") or priority <= 0:
        return None
    return backend


def save_password(server_url: str, username: str, password: str) -> str:
    """Keep the password; returns where: `KEYRING` or `FILE`."""
    backend = _usable_keyring()
    if backend is not None:
        try:
            backend.set_password(SERVICE, _key(server_url, username), password)
        except Exception:  # noqa: S110 - a locked or failing keyring: use the file
            pass
        else:
            password_path().unlink(missing_ok=True)
            return KEYRING
    write_private(password_path(), password.encode("utf-8"))
    return FILE


def load_password(server_url: str, username: str, where: str) -> str:
    missing = AuthError("the CalDAV password is not on this machine any more: run "
                        "`timeaudit caldav login` again")
    if where == KEYRING:
        backend = _usable_keyring()
        try:
            password = backend.get_password(SERVICE, _key(server_url, username)) \
                if backend is not None else None
        except Exception:  # a locked or failing keyring
            raise AuthError("cannot read the CalDAV password from the system keyring "
                            "(locked?): unlock it, or run `timeaudit caldav login` again"
                            ) from None
        if password is None:
            raise missing
        return password
    try:
        return password_path().read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise missing from None


def delete_password(server_url: str, username: str) -> bool:
    """Remove the password from the keyring and the file; True when one was there."""
    found = False
    backend = _usable_keyring()
    if backend is not None:
        try:
            backend.delete_password(SERVICE, _key(server_url, username))
            found = True
        except Exception:  # noqa: S110 - not there, or no keyring after all
            pass
    path = password_path()
    if path.exists():
        path.unlink()
        found = True
    return found
