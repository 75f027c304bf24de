"""Recorded Google Calendar API responses (tests/data/google), replayed through the real client.

`googleapiclient.discovery.build(..., static_discovery=True)` reads the discovery document
bundled with the library, so nothing here touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from googleapiclient.http import HttpMockSequence

from connectors.google import build_service

DATA = Path(__file__).resolve().parent / "data" / "google"
JSON = "application/json; charset=UTF-8"


def body(stem: str) -> str:
    return (DATA / f"{stem}.json").read_text(encoding="utf-8")


def items(stem: str) -> list[dict[str, Any]]:
    return json.loads(body(stem))["items"]


def ok(stem: str) -> tuple[dict[str, str], str]:
    return {"status": "200", "content-type": JSON}, body(stem)


def failing(status: int, stem: str) -> tuple[dict[str, str], str]:
    return {"status": str(status), "content-type": JSON}, body(stem)


def replay(*responses: tuple[dict[str, str], str]) -> tuple[Any, HttpMockSequence]:
    """A real Calendar v3 client whose HTTP answers are ``responses``, in order."""
    http = HttpMockSequence(list(responses))
    return build_service(http=http), http


def query(uri: str) -> dict[str, str]:
    """The query parameters of a recorded request (one value each)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(uri).query).items()}


def event_requests(http: HttpMockSequence) -> list[dict[str, str]]:
    return [query(uri) for uri, *_ in http.request_sequence if "/events" in uri]
