"""The one-page HTML report (issue 14, `timeaudit export --format html`): self-contained,
redacted like the CSV export, and rendered by a real Chromium (screenshot in
``test-artifacts/``)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import timeaudit_sample
from served import chromium

from audit.config import load_config
from audit.engine import run_audit
from audit.html_report import render_html, summary_sentences
from audit.one_page import hours_text, percent_text
from audit.report import build_report
from cli.main import main
from cli.reading import read_sources
from connectors.sources import Sources
from core.period import Period

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PERIOD = Period(date(2026, 11, 2), date(2026, 11, 23), "Europe/Berlin")


@pytest.fixture(scope="module")
def audit():
    config = load_config(timeaudit_sample.CONFIG)
    period = Period(PERIOD.start, PERIOD.end, config.timezone)
    sources = Sources(ics=tuple(str(p) for p in timeaudit_sample.CALENDARS))
    return run_audit(read_sources(sources, period=period, config=config), config, period)


def titles(audit, domain: str) -> set[str]:
    events = audit.events
    return set(events.filter(events["domain"] == domain)["title"].to_list())


def self_contained(page: str) -> None:
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", page)


def test_standard_hides_personal_titles_and_the_people(audit):
    page = render_html(audit, "standard", by="week")
    self_contained(page)
    assert "Incident: search index lagging" in page  # a work violation, as in violations.csv
    assert not [t for t in titles(audit, "life") if f">{t}<" in page]
    assert "Personal" in page  # the non-profit board series
    assert "Most meeting time with" not in page
    assert "Most meeting time with" in render_html(audit, "standard", with_people=True)
    assert "Most meeting time with" in render_html(audit, "full")


def test_strict_shows_figures_and_no_title(audit):
    page = render_html(audit, "strict", with_people=True)
    self_contained(page)
    every_title = set(audit.events["title"].to_list())
    assert not [t for t in every_title if t and f">{t}<" in page]
    assert "Most meeting time with" not in page
    assert "Largest boundary violations" not in page


def test_the_summary_is_written_from_the_figures(audit):
    report = build_report(audit)
    sentences = summary_sentences(report)
    focus = report["focus"]
    meetings = report["meetings"]
    series_hours = sum(s["hours"] for s in meetings["series"])
    outside = sum(report["violations"]["minutes_by_type"][t]
                  for t in ("after_hours", "late_night", "non_working_day"))
    # issue 14's style: "3 evenings past 20:00, 6.5 h in total; focus 4 h of a 10 h target;
    # 62 % of meeting time in 4 recurring series"
    assert sentences[0] == (
        f"Work outside working hours on 6 workdays and 1 day off, {hours_text(outside / 60)} "
        f"in total; focus {hours_text(focus['hours'])} of a "
        f"{hours_text(focus['target_hours'])} target (met, {percent_text(focus['coverage'])} of "
        f"working time); {round(100 * series_hours / meetings['hours'])} % of meeting time in "
        f"{len(meetings['series'])} recurring series.")
    assert (hours_text(6.5), hours_text(4.0), hours_text(10.25)) == ("6.5 h", "4 h", "10.2 h")


def test_cli_export_html(capsys, tmp_path):
    code = main(["export", "--sample", "--from", "2026-11-02", "--to", "2026-11-23",
                 "--format", "html", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == f"{tmp_path / 'report.html'}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    code = main(["export", "--sample", "--out", str(tmp_path), "--with-people"])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: --with-people goes with --format html or pdf (the CSV files never name the "
        "people you meet)\n")


@pytest.mark.browser
def test_the_page_renders_in_chromium_with_nothing_fetched(audit, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render_html(audit, "standard", by="week"), encoding="utf-8")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 900, "height": 1000})
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("request", lambda request: problems.append(request.url)
                if request.url != path.as_uri() else None)
        page.goto(path.as_uri())
        assert page.locator("svg").count() >= 5
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-html.png"), full_page=True)
        page.pdf(path=str(ARTIFACTS / "report-html.pdf"), format="A4")
        assert not problems, problems
