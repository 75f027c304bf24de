"""``python -m dashboard.launch run dashboard/app.py …``: Streamlit, with the dashboard's
modules imported while the browser opens (`dashboard.warm`)."""

from __future__ import annotations

import sys


def main() -> None:
    from streamlit.web import cli  # noqa: PLC0415 - first, so the thread only adds to it

    from dashboard import warm  # noqa: PLC0415

    warm.start()
    sys.argv[0] = "streamlit"
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
