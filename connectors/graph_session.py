"""Which Microsoft Graph client and MSAL app `timeaudit microsoft …` and the dashboard use.

Both read the two seams below when they act, so a test replaces them once (a recorded
Graph replay, a fake MSAL app) for the command line and the dashboard alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.graph import GraphClient


def signed_in_client() -> GraphClient:
    """A Graph client with the token cache of the signed-in account."""
    from connectors.graph import GraphClient  # noqa: PLC0415 - fast `timeaudit --help`

    return GraphClient.signed_in()


# The seams tests replace: () -> a Graph client; the MSAL app factory for login.
client_factory: Callable[[], Any] = signed_in_client
app_factory: Any = None
