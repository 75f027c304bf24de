"""The launch warm-up imports in a thread only what no library looks up half-made.

Libraries find some modules through ``sys.modules`` without importing them (Altair's
narwhals: pandas, numpy, pyarrow); a thread still importing one of them hands them a
partially initialized module (dashboard/warm.py). The warm-up thread's imports must
therefore not bring them in; the page's own run imports them (`warm.import_rest`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dashboard import warm

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_thread_imports_nothing_libraries_look_up():
    after = _modules_after("from dashboard import warm\nwarm.warm_up()")
    assert set(warm.FIRST) <= after
    assert not after & set(warm.LOOKED_UP), "imported in the warm-up thread"


def test_the_page_imports_the_rest_itself():
    after = _modules_after("from dashboard import warm\nwarm.warm_up()\nwarm.import_rest()")
    assert set(warm.REST) <= after
    assert "pandas" in warm.REST
