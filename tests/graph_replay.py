"""Recorded Microsoft Graph responses (tests/data/graph), replayed through `connectors.graph`.

`Replay` is a `connectors.graph.Transport`: it answers each request with the next recorded
response and keeps what was asked (URL and headers), so tests check both directions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.graph import GraphClient

DATA = Path(__file__).resolve().parent / "data" / "graph"
JSON = {"Content-Type": "application/json; odata.metadata=minimal; charset=utf-8"}
TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6InRlc3QifQ"

Answer = tuple[int, Mapping[str, str], bytes] | BaseException


def body(stem: str) -> bytes:
    return (DATA / f"{stem}.json").read_bytes()


def page(stem: str) -> dict[str, Any]:
    return json.loads(body(stem))


def ok(stem: str) -> Answer:
    return 200, JSON, body(stem)


def failing(status: int, stem: str, **headers: str) -> Answer:
    return status, {**JSON, **{k.replace("_", "-"): v for k, v in headers.items()}}, body(stem)


class Replay:
    """Answers requests with ``answers`` in order; an exception answer is raised."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, dict[str, str]]] = []

    def __call__(self, url: str, headers: Mapping[str, str]
                 ) -> tuple[int, Mapping[str, str], bytes]:
        self.requests.append((url, dict(headers)))
        if not self.answers:
            raise AssertionError(f"unexpected request: {url}")
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    @property
    def urls(self) -> list[str]:
        return [url for url, _ in self.requests]

    def delta_urls(self) -> list[str]:
        return [u for u in self.urls if "/calendarView/delta" in u]


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def client(replay: Replay, sleeps: list[float] | None = None, *,
           account: str = "me@acme.test") -> GraphClient:
    """A Graph client over ``replay``; its waits go into ``sleeps`` instead of sleeping."""
    recorded = sleeps if sleeps is not None else []
    return GraphClient(replay, token=lambda: TOKEN, account=account, sleep=recorded.append)
