"""The bundled sample: one person's calendars and their documented configuration.

Installed as the package ``timeaudit_sample`` (pyproject maps it to this folder), so the
dashboard's sample mode and ``timeaudit report --sample`` work from a wheel with no source
checkout. ``generate.py`` writes the calendars; README.md says what is in them.
"""

from __future__ import annotations

from pathlib import Path

DIR = Path(__file__).resolve().parent
CONFIG = DIR / "timeaudit.toml"
CALENDARS = (DIR / "work.ics", DIR / "family.ics", DIR / "side-project.ics")
