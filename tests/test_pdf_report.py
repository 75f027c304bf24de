"""The one-page report as PDF (issue 14, `timeaudit export --format pdf`): its text read back
with pypdf carries the report's figures and, at ``standard``, no private title; rendered to
PNG with pdftoppm when it is installed (``test-artifacts/``)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import timeaudit_sample
from pypdf import PdfReader

from audit.config import load_config
from audit.engine import Audit, run_audit
from audit.html_report import render_report
from audit.one_page import build_page, hours_text
from audit.pdf_report import page_pdf
from audit.report import build_report
from cli.main import main
from cli.reading import read_sources
from connectors.sources import Sources
from core.period import Period, previous_period

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PERSONA = ROOT.parent / "shared" / "personas" / "P2"


def audits(calendars: list[Path], config_path: Path, period: Period) -> tuple[Audit, Audit]:
    """The audit of ``period`` and of the period before it."""
    config = load_config(config_path)
    before = previous_period(period)
    assert before is not None
    window = Period(before.start, period.end + (period.end - period.start), period.timezone)
    events = read_sources(Sources(ics=tuple(str(p) for p in calendars)), period=window,
                          config=config)
    return run_audit(events, config, period), run_audit(events, config, before)


@pytest.fixture(scope="module")
def sample() -> tuple[Audit, Audit]:
    return audits(list(timeaudit_sample.CALENDARS), timeaudit_sample.CONFIG,
                  Period(date(2026, 11, 16), date(2026, 11, 23), "Europe/Berlin"))


def text_of(pdf: bytes) -> str:
    """The PDF's text with every run of white space as one space (lines wrap anywhere)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def private_titles(audit: Audit) -> list[str]:
    life = audit.events.filter(audit.events["domain"] == "life")
    return sorted(set(life["title"].to_list()))


def shows(text: str, title: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(title)}(?!\w)", text) is not None


def test_the_pdf_carries_the_summary_figures_and_no_private_title(sample):
    audit, previous = sample
    pdf = render_report(audit, "standard", fmt="pdf", by="day", previous=previous)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    report = build_report(audit, "day", previous)
    focus = report["focus"]
    assert "Where the time went: 2026-11-16 – 2026-11-22" in text
    assert (f"focus {hours_text(focus['hours'])} of a {hours_text(focus['target_hours'])} "
            "target") in text
    assert f"{report['meetings']['count']} meetings, {hours_text(report['meetings']['hours'])}" \
        in text
    assert "Against the previous period (2026-W46: 2026-11-09 – 2026-11-15)" in text
    assert "Incident: search index lagging" in text  # a work violation, as in violations.csv
    titles = private_titles(audit)
    assert titles  # the sample has a private life
    assert [t for t in titles if shows(text, t)] == []
    assert "Most meeting time with" not in text


def test_strict_pdf_has_no_title_at_all(sample):
    audit, previous = sample
    text = text_of(render_report(audit, "strict", fmt="pdf", with_people=True,
                                 previous=previous))
    every = {t for t in audit.events["title"].to_list() if len(t) > 3}
    assert [t for t in every if shows(text, t)] == []
    assert "Largest boundary violations" not in text
    assert "Summary" in text


def test_full_pdf_names_the_people(sample):
    audit, _ = sample
    text = text_of(render_report(audit, "full", fmt="pdf"))
    people = build_report(audit)["meetings"]["people"]
    assert people
    assert "Most meeting time with" in text
    assert people[0]["person"] in text


def test_a_character_the_font_lacks_is_a_box_not_an_error():
    from audit.one_page import Page, Section  # noqa: PLC0415

    page = Page("Kita 🚸 und Grüße – Ωμέγα", "meta", [Section("Summary", [("ﬁ ✓ 日本",)])])
    text = text_of(page_pdf(page))
    assert "Kita □ und Grüße – Ωμέγα" in text


def test_cli_export_pdf(capsys, tmp_path):
    code = main(["export", "--sample", "--week", "2026-W47", "--format", "pdf",
                 "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == f"{tmp_path / 'report.pdf'}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
    assert "Against the previous period (2026-W46" in text_of(
        (tmp_path / "report.pdf").read_bytes())


def test_the_persona_pdf_keeps_her_private_life_private(tmp_path):
    """P2 (Miriam): "Privat" and "Kita 🚸" sit on her work calendar; her therapy, Kita and
    family events must not be named at standard privacy."""
    if not PERSONA.is_dir():
        pytest.skip(f"no persona calendars at {PERSONA}")
    calendars = [PERSONA / name for name in ("work.ics", "privat.ics", "familie.ics")]
    audit, previous = audits(calendars, PERSONA / "timeaudit.toml",
                             Period(date(2026, 11, 16), date(2026, 11, 23), "Europe/Berlin"))
    pdf = render_report(audit, "standard", fmt="pdf", by="day", previous=previous)
    text = text_of(pdf)
    assert [t for t in private_titles(audit) if len(t) > 3 and shows(text, t)] == []
    assert not shows(text, "Privat")
    (tmp_path / "report.pdf").write_bytes(pdf)
    render_to_png(tmp_path / "report.pdf", "report-pdf-p2")


def test_the_sample_pdf_renders_to_png(sample, tmp_path):
    audit, previous = sample
    path = tmp_path / "report.pdf"
    path.write_bytes(page_pdf(build_page(audit, "standard", by="day", previous=previous)))
    pages = render_to_png(path, "report-pdf-sample")
    assert len(pages) >= 1


def render_to_png(path: Path, stem: str) -> list[Path]:
    """The PDF's pages as PNG in test-artifacts/ (skipped without pdftoppm, which reads
    the file as a viewer would: a broken PDF fails here)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (Debian: poppler-utils)")
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob(f"{stem}-[0-9]*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(path), str(ARTIFACTS / stem)],
                   check=True, capture_output=True)
    return sorted(ARTIFACTS.glob(f"{stem}-[0-9]*.png"))
