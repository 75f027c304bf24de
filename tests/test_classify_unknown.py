"""What is unknown is a figure (issue 11): unclassified hours and their share in the table
report, beside the JSON report's ``hours.by_domain.unclassified``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from audit.engine import run_audit
from audit.report import build_report, render_table
from core.period import Period
from tests.test_classify_evidence import CONFIG, read

WEEK = Period(date(2026, 11, 16), date(2026, 11, 23), "Europe/Berlin")


def test_the_table_shows_unclassified_hours_and_their_share(ics_data: Path) -> None:
    # with no work domain and no owner, a calendar named "Calendar" says nothing
    events = read(ics_data, "personal-addresses")
    report = build_report(run_audit(events, CONFIG, WEEK))
    by_domain = report["hours"]["by_domain"]
    table = render_table(report)
    line = next(row for row in table.splitlines() if row.strip().startswith("unclassified"))
    share = by_domain["unclassified"] / sum(by_domain.values())
    assert f"{by_domain['unclassified']:6.2f} h  {share:4.0%}" in line
    life = next(row for row in table.splitlines() if row.strip().startswith("life "))
    assert f"{by_domain['life'] / sum(by_domain.values()):4.0%}" in life
