"""Set up timeaudit in ./.venv from the lock file, then run it: one command for a new user.

    python3 tasks.py dashboard   # install what is needed, open the dashboard on sample data
    python3 tasks.py test        # install what is needed (with test tools), run the tests
    python3 tasks.py lock        # re-resolve the lock files after editing pyproject.toml

Only the Python standard library is used here, so it runs on a fresh machine with
nothing but Python >= 3.11. Installation is skipped when the lock file has not changed
since the last run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCKS = {"run": ROOT / "requirements.lock", "test": ROOT / "requirements-test.lock"}
# The project's own packages (pyproject.toml, [tool.setuptools]); the sample is data only.
PACKAGES = ("core", "audit", "connectors", "cli", "dashboard", "sample_data")


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*args: object) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT)


def ensure_environment(flavour: str) -> Path:
    """Create .venv and install the locked dependencies of ``flavour`` when they changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file is what an old Python runs first
        sys.exit(f"timeaudit needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    lock = LOCKS[flavour]
    python = venv_python()
    if not python.exists():
        print(f"Creating {VENV.name}/ …", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes())
    stamp = VENV / f".installed-{flavour}-{digest.hexdigest()[:16]}"
    if not stamp.exists():
        print(f"Installing the locked dependencies of {lock.name} (the first time takes a "
              "minute or more; pip shows each package) …", file=sys.stderr, flush=True)
        # pip's own output and progress bars, so that nobody thinks it hangs.
        run(python, "-m", "pip", "install", "--progress-bar", "on",
            "--disable-pip-version-check", "--require-hashes", "-r", lock)
        run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-deps", "-e", ".")
        for old in VENV.glob(f".installed-{flavour}-*"):
            old.unlink()
        stamp.touch()
    compile_sources(python)
    return python


def compile_sources(python: Path) -> None:
    """Write the bytecode of the checkout's own modules, as pip does for every installed
    package, but for the editable install: the first dashboard page and each command
    then read it instead of compiling ≈ 70 modules (≈ 0.15 s of CPU on the dashboard's
    first page, ≈ 0.05 s of a `report --sample`; more where Python is told not to write
    bytecode, then every run compiles). Only changed files are compiled again."""
    run(python, "-m", "compileall", "-q", *PACKAGES, "app.py")


def dashboard(args: list[str]) -> int:
    python = ensure_environment("run")
    # `timeaudit dashboard`: served on 127.0.0.1 only, nothing sent anywhere (dashboard/serve.py).
    # On POSIX this process becomes it, so stopping this command stops the server.
    command = [str(python), "-m", "cli", "dashboard", *args]
    if os.name == "posix":
        os.chdir(ROOT)
        os.execv(command[0], command)  # noqa: S606 - this project's venv python
    return subprocess.call(command, cwd=ROOT)


def test(args: list[str]) -> int:
    python = ensure_environment("test")
    return subprocess.call([str(python), "-m", "pytest", *args], cwd=ROOT)


def lock(_args: list[str]) -> int:
    python = ensure_environment("test")
    run(python, "-m", "pip", "install", "--quiet", "uv")
    common = ["pip", "compile", "pyproject.toml", "--universal", "--python-version", "3.11",
              "--generate-hashes", "--quiet"]
    run(python, "-m", "uv", *common, "-o", LOCKS["run"].name)
    run(python, "-m", "uv", *common, "--extra", "test", "-o", LOCKS["test"].name)
    return 0


COMMANDS = {"dashboard": dashboard, "test": test, "lock": lock}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
