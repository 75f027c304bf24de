"""The `timeaudit` command line: a thin shell over the functions the dashboard calls.

Every expected problem is an `AuditError`; it is caught in one place (`main`), printed as
one line on stderr and exits with status 2. Warnings about skipped events are printed as
``warning: …`` lines and do not change the exit status.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.errors import AuditError, CalendarWarning, UsageError, printable

if TYPE_CHECKING:
    import polars as pl

    from audit.config import Config
    from audit.engine import Audit
    from core.period import Period

# Polars, the configuration and the period modules are imported by the commands that use
# them: `timeaudit --help` then takes ≈ 0.1 s instead of ≈ 0.25 s of CPU (issue 16).

EXIT_USAGE = 2
GC_YOUNGEST = 10_000  # see `main`


@dataclass(frozen=True)
class Context:
    """What the shared options resolve to: configuration, period and sources."""

    config: Config
    period: Period
    ics: tuple[str, ...]
    urls: tuple[str, ...]
    use_cache: bool
    google: tuple[str, ...] | None = None  # None: no --google; (): the selected calendars
    sync: bool = False
    microsoft: tuple[str, ...] | None = None  # like google, for --microsoft
    caldav: tuple[str, ...] | None = None  # None: no --caldav; (): the selected calendars

    def read_events(self, period: Period | None = None) -> pl.DataFrame:
        """The occurrences of ``period`` (default: the period of the options)."""
        period = period or self.period
        from cli.reading import read_google, read_sources  # noqa: PLC0415 - fast --help
        from connectors.sources import Sources  # noqa: PLC0415

        sources = Sources(ics=self.ics, urls=self.urls)
        if (not sources and self.google is None and self.microsoft is None
                and self.caldav is None):
            raise AuditError("no calendar given: name one with --ics FILE, --url LINK, "
                             "--google, --microsoft or --caldav (or try --sample)")
        frames = []
        if sources:
            frames.append(read_sources(sources, period=period, config=self.config,
                                       use_cache=self.use_cache, progress=_progress))
        if self.google is not None:
            from cli.google_commands import print_progress  # noqa: PLC0415

            frames.append(read_google(self.google or None, period=period,
                                      config=self.config, sync_first=self.sync,
                                      progress=print_progress))
        if self.microsoft is not None:
            from cli.microsoft_commands import read_events  # noqa: PLC0415

            frames.append(read_events(self.microsoft, period=period, config=self.config,
                                      sync_first=self.sync))
        if self.caldav is not None:
            from cli.caldav_commands import print_progress as caldav_progress  # noqa: PLC0415
            from connectors.caldav import read_caldav  # noqa: PLC0415

            start, end = period.utc_bounds()
            frames.append(read_caldav(self.caldav or None, start=start, end=end,
                                      tz=period.timezone,
                                      owner_emails=self.config.owner_emails,
                                      sync_first=self.sync, progress=caldav_progress,
                                      use_cache=self.use_cache))
        from core import schema as s  # noqa: PLC0415 - fast --help

        return s.validate_events(s.merge_events(frames))

    def run_audit(self) -> Audit:
        """The audit of the period, with the manual overrides of the local store."""
        from audit.engine import audit_window, run_audit  # noqa: PLC0415 - fast --help
        from audit.store import load_overrides  # noqa: PLC0415

        events = self.read_events(audit_window(self.period))
        return run_audit(events, self.config, self.period, load_overrides())

    def run_audits(self) -> tuple[Audit, Audit | None]:
        """The audit of the period and of the period before it (issue 14: period over
        period), from one read of the calendars covering both."""
        from audit.engine import audit_window, run_audits  # noqa: PLC0415 - fast --help
        from audit.store import load_overrides  # noqa: PLC0415
        from core.period import Period, previous_period  # noqa: PLC0415

        before = previous_period(self.period)
        if before is None:
            return self.run_audit(), None
        events = self.read_events(
            Period(before.start, audit_window(self.period).end, self.period.timezone))
        audit, previous = run_audits(events, self.config, (self.period, before),
                                     load_overrides())
        return audit, previous


def _progress(message: str) -> None:
    click.echo(printable(message), err=True)


# The client libraries' loggers: silent unless --verbose (then request URLs are redacted).
LIBRARY_LOGGERS = ("googleapiclient", "google", "google_auth_httplib2", "google_auth_oauthlib",
                   "httplib2", "urllib3", "requests", "requests_oauthlib", "oauthlib")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


class _SafeLogHandler(logging.Handler):
    """Log lines on stderr without request URLs (tokens, calendar ids) or control
    characters; stderr is looked up per line (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = f"log: {record.name}: {record.getMessage()}"
            click.echo(printable(_URL.sub("<URL>", line)), err=True)
        except Exception:  # logging must never break the command
            self.handleError(record)


_LOG_HANDLER = _SafeLogHandler()


def configure_logging(verbose: bool) -> None:
    """Library log lines only with --verbose, redacted; otherwise none at all."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if verbose else logging.CRITICAL + 1)
        logger.propagate = not verbose
        if verbose and _LOG_HANDLER not in logger.handlers:
            logger.addHandler(_LOG_HANDLER)
        elif not verbose and _LOG_HANDLER in logger.handlers:
            logger.removeHandler(_LOG_HANDLER)


def source_options(command: Callable) -> Callable:
    """--ics / --url / --google / --caldav: the calendars to read (repeatable)."""
    command = click.option("--sync", "sync", is_flag=True,
                           help="With --google, --microsoft or --caldav: sync those "
                           "calendars first.")(command)
    command = click.option("--microsoft", "microsoft", multiple=True, is_flag=False,
                           flag_value="", metavar="[CAL]",
                           help="Microsoft 365 / Outlook.com calendars synced with `timeaudit "
                           "microsoft sync`: an id or name (repeatable); --microsoft alone: "
                           "the selected ones.")(command)
    command = click.option("--caldav", "caldav", multiple=True, is_flag=False, flag_value="",
                           metavar="[CAL]",
                           help="CalDAV calendars synced with `timeaudit caldav sync`: a name "
                           "or id (repeatable); --caldav alone: the selected ones.")(command)
    command = click.option("--google", "google", multiple=True, is_flag=False, flag_value="",
                           metavar="[CAL]",
                           help="Google calendars synced with `timeaudit google sync`: an id "
                           "or name (repeatable); --google alone: the selected ones.")(command)
    command = click.option("--url", "urls", multiple=True, metavar="URL",
                           help="An ICS link (http, https or webcal). Repeatable. A download "
                           "may take 120 s and 50 MB at most.")(command)
    command = click.option("--ics", "ics", multiple=True, metavar="PATH",
                           help="An .ics file (at most 50 MB; see docs/ingest.md, Bounds). "
                                "Repeatable.")(command)
    return click.option("--sample", is_flag=True,
                        help="The bundled sample calendars (with the sample's configuration "
                        "unless --config is given).")(command)


def make_context(period_of: Callable[[Config], Period], *, ics: tuple[str, ...],
                 urls: tuple[str, ...], google: tuple[str, ...], microsoft: tuple[str, ...],
                 caldav: tuple[str, ...], sync: bool, sample: bool, config_path: str | None,
                 tz: str | None, no_cache: bool) -> Context:
    """The `Context` of the source options, --config, --tz and --no-cache; ``period_of``
    gives the period once the configuration (its zone, its week start) is known."""
    import timeaudit_sample  # noqa: PLC0415 - fast --help

    from audit.config import load_config  # noqa: PLC0415
    from core.period import resolve_zone  # noqa: PLC0415

    if sample:
        ics = (*ics, *(str(path) for path in timeaudit_sample.CALENDARS))
        config_path = config_path or str(timeaudit_sample.CONFIG)
    config = load_config(config_path)
    if tz is not None:
        resolve_zone(tz)
        config = replace(config, timezone=tz)
    period = period_of(config)
    if sync and not (google or microsoft or caldav):
        raise UsageError("--sync goes with --google, --microsoft or --caldav")
    return Context(config, period, ics, urls, use_cache=not no_cache,
                   google=tuple(g for g in google if g) if google else None, sync=sync,
                   microsoft=tuple(m for m in microsoft if m) if microsoft else None,
                   caldav=tuple(c for c in caldav if c) if caldav else None)


def period_options(command: Callable) -> Callable:
    """--week / --from / --to / --tz / --config / --no-cache, resolved into a `Context`."""

    @click.option("--no-cache", is_flag=True, help="Read calendars again; ignore the cache.")
    @click.option("--tz", "tz", metavar="ZONE",
                  help="Audit time zone (IANA name); default: timezone of the config.")
    @click.option("--to", "end", metavar="DATE", help="Last day, exclusive (YYYY-MM-DD).")
    @click.option("--from", "start", metavar="DATE", help="First day (YYYY-MM-DD).")
    @click.option("--quarter", metavar="YYYY-Qn", help="A calendar quarter, e.g. 2026-Q4.")
    @click.option("--month", metavar="YYYY-MM", help="A calendar month, e.g. 2026-11.")
    @click.option("--week", metavar="YYYY-Www", help="An ISO week, e.g. 2026-W47.")
    @click.option("--config", "config_path", metavar="FILE",
                  help="timeaudit.toml (default: ./timeaudit.toml, then the user config).")
    @functools.wraps(command)
    def wrapper(*, ics: tuple[str, ...] = (), urls: tuple[str, ...] = (),
                google: tuple[str, ...] = (), microsoft: tuple[str, ...] = (),
                caldav: tuple[str, ...] = (), sync: bool = False, sample: bool = False,
                config_path: str | None, week: str | None, start: str | None,
                end: str | None, tz: str | None, no_cache: bool, month: str | None = None,
                quarter: str | None = None, **kwargs: Any) -> Any:
        from core.period import resolve_period  # noqa: PLC0415 - fast --help

        context = make_context(
            lambda config: resolve_period(
                timezone=config.timezone, week=week, start=start, end=end,
                week_start=config.week_start, month=month, quarter=quarter),
            ics=ics, urls=urls, google=google, microsoft=microsoft, caldav=caldav, sync=sync,
            sample=sample, config_path=config_path, tz=tz, no_cache=no_cache)
        return command(context, **kwargs)

    return wrapper


def _iso_instants(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl  # noqa: PLC0415 - fast --help

    from core import schema as s  # noqa: PLC0415

    instants = [c for c, t in frame.schema.items() if t == s.UTC_INSTANT]
    return frame.with_columns(pl.col(instants).dt.strftime(s.UTC_STAMP))


def write_frame(frame: pl.DataFrame, fmt: str) -> None:
    """Rows to stdout as CSV (spreadsheet-safe) or JSON (a list of objects)."""
    from audit.spreadsheet import safe_frame  # noqa: PLC0415 - fast --help

    frame = _iso_instants(frame)
    if fmt == "json":
        click.echo(frame.write_json())
    else:
        click.echo(safe_frame(frame).write_csv(), nl=False)


def by_option(command: Callable) -> Callable:
    """--by day|week|month: one row per group besides the period's figures (issue 14)."""
    return click.option("--by", type=click.Choice(["day", "week", "month"]), default=None,
                        help="Also give the figures per day, week or month, with the "
                        "change from one to the next.")(command)


# The account commands, by the module that defines each (`_Commands`).
ACCOUNT_COMMANDS = {"google": "cli.google_commands", "microsoft": "cli.microsoft_commands",
                    "caldav": "cli.caldav_commands"}


class _Commands(click.Group):
    """The command group. The account commands (google, microsoft, caldav) are imported
    when one is named or the commands are listed (`--help`): a report never needs them
    (≈ 10 ms of a warm report without cached bytecode; issue 16)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *ACCOUNT_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in ACCOUNT_COMMANDS:
            import importlib  # noqa: PLC0415

            command = getattr(importlib.import_module(ACCOUNT_COMMANDS[cmd_name]), cmd_name)
            self.add_command(command)
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="timeaudit")
@click.option("--verbose", is_flag=True,
              help="Show the log lines of the Google and HTTP client libraries (request "
                   "URLs left out).")
def cli(verbose: bool) -> None:
    """timeaudit: where your calendar time went, against your boundaries and focus."""
    configure_logging(verbose)


@cli.command()
@source_options
@period_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--raw", is_flag=True,
              help="Only the calendar columns (SPEC §3), without classification.")
def events(context: Context, fmt: str, raw: bool) -> None:
    """The occurrences in the period, classified, with the reason for each attribute."""
    if raw:
        write_frame(context.read_events(), fmt)
        return
    audit = context.run_audit()
    frame = audit.minutes_per_event().rename({"attributed_minutes": "minutes"})
    write_frame(frame, fmt)


@cli.command()
@source_options
@period_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@by_option
def report(context: Context, fmt: str, by: str | None) -> None:
    """The period's figures: domains, quadrants, focus, boundary violations, days,
    meetings (and, with --by, one row per day, week or month)."""
    from audit.report import make_report, render_table  # noqa: PLC0415

    audit, previous = context.run_audits()
    result = make_report(audit, by, previous)
    if fmt == "json":
        # = json.dumps(result.as_dict(), indent=2, ...), written a block at a time
        out = getattr(sys.stdout, "buffer", None)
        if out is None:  # a text-only stdout (some embedding): the text in one piece
            click.echo(result.to_json())
            return
        sys.stdout.flush()
        result.write_json(out)
        out.write(b"\n")
        out.flush()
    else:
        click.echo(render_table(result.as_dict()), nl=False)


@cli.command()
@source_options
@period_options
@click.option("--out", "out_dir", required=True, metavar="DIR",
              help="Folder for summary.csv, violations.csv and events.csv.")
@click.option("--privacy", type=click.Choice(["strict", "standard", "full"]),
              default="standard", show_default=True,
              help="strict: summary only; standard: only what is positively work keeps "
                   "its title, everything else is \"Personal\", no locations; full: titles "
                   "and locations kept. Descriptions never.")
@by_option
@click.option("--format", "fmt", type=click.Choice(["csv", "html", "pdf"]), default="csv",
              show_default=True,
              help="csv: the CSV files; html: report.html, one printable page with charts; "
                   "pdf: the same page as report.pdf.")
@click.option("--with-people", is_flag=True,
              help="html or pdf at standard privacy: also the people and domains you meet "
                   "most.")
def export(context: Context, out_dir: str, privacy: str, by: str | None, fmt: str,
           with_people: bool) -> None:
    """Write the CSV export (or the one-page HTML or PDF report) to share with your
    manager; each compares the period with the one before it."""
    from audit.export import write_export  # noqa: PLC0415

    if with_people and fmt == "csv":
        raise UsageError("--with-people goes with --format html or pdf (the CSV files "
                         "never name the people you meet)")
    audit, previous = context.run_audits()
    if fmt in ("html", "pdf"):
        from audit.html_report import write_report  # noqa: PLC0415

        click.echo(str(write_report(audit, out_dir, privacy, fmt=fmt, by=by,
                                    with_people=with_people, previous=previous)))
        return
    for path in write_export(audit, out_dir, privacy, by, previous):
        click.echo(str(path))


@cli.command()
@source_options
@click.option("--week", default="next", show_default=True, metavar="next|YYYY-Www",
              help="The week to plan: next (after the current one) or an ISO week.")
@click.option("--config", "config_path", metavar="FILE",
              help="timeaudit.toml (default: ./timeaudit.toml, then the user config).")
@click.option("--tz", "tz", metavar="ZONE",
              help="Audit time zone (IANA name); default: timezone of the config.")
@click.option("--no-cache", is_flag=True, help="Read calendars again; ignore the cache.")
@click.option("--out", "out_path", metavar="FILE",
              help="The .ics to write (default: focus-plan-<first day>.ics here).")
@click.option("--title", default="Focus time", show_default=True,
              help="Title of the blocks (it must match focus.title_pattern).")
def plan(*, ics: tuple[str, ...], urls: tuple[str, ...], google: tuple[str, ...],
         microsoft: tuple[str, ...], caldav: tuple[str, ...], sync: bool, sample: bool,
         week: str, config_path: str | None, tz: str | None, no_cache: bool,
         out_path: str | None, title: str) -> None:
    """Propose focus blocks for a week in your free working time, as an .ics to import.

    timeaudit never writes to your calendars: import the file yourself.
    """
    from audit.plan import (  # noqa: PLC0415 - fast --help
        check_title,
        plan_calendar,
        plan_week,
        propose_focus_blocks,
    )

    context = make_context(
        lambda config: plan_week(week, config.timezone, config.week_start),
        ics=ics, urls=urls, google=google, microsoft=microsoft, caldav=caldav, sync=sync,
        sample=sample, config_path=config_path, tz=tz, no_cache=no_cache)
    config, period = context.config, context.period
    check_title(title, config.focus.title_pattern)
    result = propose_focus_blocks(context.run_audit())
    zone = period.zone
    click.echo(f"focus target {result.target_minutes / 60:.2f} h for {period.start} to "
               f"{period.end} (exclusive); already planned {result.planned_minutes / 60:.2f} h")
    if not result.blocks:
        click.echo("no focus blocks to propose (the target is met, or no free stretch is "
                   "long enough); nothing written")
        return
    data = plan_calendar(result, title, config.focus.title_pattern)
    for start, end in result.blocks:
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        click.echo(f"  {local_start:%a %Y-%m-%d %H:%M}-{local_end:%H:%M}  {title}")
    path = out_path or f"focus-plan-{period.start.isoformat()}.ics"
    try:
        with open(path, "wb") as file:
            file.write(data)
    except OSError as error:
        raise AuditError(f"{path}: cannot write the plan: {error.strerror}") from None
    click.echo(f"{len(result.blocks)} blocks, {result.proposed_minutes / 60:.2f} h: {path} "
               "(import it into your calendar)")


_ORIGINAL_START = re.compile(r"^(?P<series>.+)@\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")


@cli.command()
@click.argument("event_id", required=False)
@click.option("--series", is_flag=True,
              help="Apply to all occurrences of the series (EVENT_ID may be any occurrence's "
                   "id or the series_id).")
@click.option("--domain", type=click.Choice(["work", "life", "integrated"]))
@click.option("--urgent/--not-urgent", default=None)
@click.option("--important/--not-important", default=None)
@click.option("--clear", is_flag=True, help="Remove the override instead of setting it.")
@click.option("--list", "list_all", is_flag=True, help="List every override.")
def classify(event_id: str | None, series: bool, domain: str | None, urgent: bool | None,
             important: bool | None, clear: bool, list_all: bool) -> None:
    """Override the classification of one occurrence (or a whole series).

    Overrides win over every rule, are kept in the local store and survive re-reads.
    """
    from audit import store  # noqa: PLC0415

    if list_all:
        import polars as pl  # noqa: PLC0415 - fast --help

        from core import schema as s  # noqa: PLC0415

        frame = store.list_overrides()
        click.echo(frame.with_columns(pl.col("updated_at").dt.strftime(s.UTC_STAMP))
                   .write_csv(), nl=False)
        return
    if not event_id:
        raise UsageError("name the occurrence: timeaudit classify EVENT_ID … (or --list)")
    key = {"event_id": event_id}
    if series:
        match = _ORIGINAL_START.match(event_id)
        key = {"series_id": match["series"] if match else event_id}
    if clear:
        removed = store.clear_override(**key)
        click.echo("override removed" if removed else "there was no override")
        return
    if domain is None and urgent is None and important is None:
        raise UsageError("say what to set: --domain, --urgent/--not-urgent or "
                         "--important/--not-important (or --clear)")
    store.set_override(**key, domain=domain, urgent=urgent, important=important)
    scope = "all occurrences of " + key["series_id"] if series else event_id
    click.echo(f"override saved for {scope}")


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("streamlit_args", nargs=-1, type=click.UNPROCESSED)
def dashboard(streamlit_args: tuple[str, ...]) -> None:
    """Open the dashboard in the browser (on 127.0.0.1 only; Streamlit options pass through)."""
    from dashboard import serve  # noqa: PLC0415 - fast --help

    sys.exit(serve.run(streamlit_args))


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    click.echo(f"warning: {printable(str(message))}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `timeaudit` script."""
    loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    saved = [(logger.level, logger.propagate, list(logger.handlers)) for logger in loggers]
    thresholds = gc.get_threshold()
    # The cyclic collector's youngest generation is examined after 10,000 new objects
    # instead of 700: importing Polars and building a few thousand expressions set it off
    # ≈ 90 times in a warm `report --sample`, for little garbage (CPU, 13 runs each,
    # medians: 0.46 → 0.41 s). It stays on, so cycles are still freed; restored below.
    gc.set_threshold(GC_YOUNGEST, *thresholds[1:])
    try:
        with warnings.catch_warnings():
            # Calendar warnings are for the person: one line each, whatever filters are set.
            warnings.simplefilter("always", CalendarWarning)
            warnings.showwarning = _show_warning
            status = _run(argv)
        if status == 0 and argv is None and Path(sys.argv[0]).name == "timeaudit":
            _exit_now()
        return status
    finally:  # the process's logging and collector as they were (main may run inside
        # another program)
        gc.set_threshold(*thresholds)
        for logger, (level, propagate, handlers) in zip(loggers, saved, strict=True):
            logger.setLevel(level)
            logger.propagate = propagate
            logger.handlers[:] = handlers


def _exit_now() -> None:
    """End the `timeaudit` process once its output is flushed, without the interpreter's
    teardown: freeing the parsed calendars and frames object by object (a cold one-week
    report of a 10-year calendar: 3.00 → 2.58 s of CPU; docs/ingest.md "Speed"). Only
    after a command succeeded, never inside another program (``argv`` given, or another
    script's name); everything the commands write is closed before they return."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # a closed or broken stream: let the interpreter end as usual
    logging.shutdown()
    os._exit(0)


def _run(argv: list[str] | None) -> int:
    configure_logging(verbose=False)  # also before the group runs (bad options, --help)
    try:
        cli.main(args=argv, prog_name="timeaudit", standalone_mode=False)
    except AuditError as error:
        click.echo(f"error: {printable(str(error))}", err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as error:
        error.message = printable(error.message)  # it may quote what was typed
        error.show()
        return error.exit_code
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
