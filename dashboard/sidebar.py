"""The sidebar (connected calendars and the settings form) and the week picker above the
views.

Every action reports its outcome beside its widgets (`dashboard.state.say`); an error is
the one-line `AuditError` text and leaves what the person typed or uploaded in place.
"""

from __future__ import annotations

import hashlib
import tempfile
import warnings
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from audit import config_edit
from audit.config import WEEKDAYS, Config
from audit.domains import DOMAINS
from connectors import caldav_store, google_store
from connectors.ics import read_ics
from connectors.url import fetch_calendar
from core import clock
from core.errors import AuditError
from core.period import Period, parse_date, parse_week, week_containing
from dashboard import connections, settings_form, state, zone
from dashboard.figures import week_label
from dashboard.state import REFRESH, Setup, say, show

if TYPE_CHECKING:
    from connectors import caldav as caldav_api
    from connectors import google as google_api

# The account panels' modules (Google sign-in, CalDAV, Microsoft) are imported where a panel
# is drawn or used: the week picker above the numbers comes from this module, and a first
# page shows its numbers before the sidebar (≈ 0.1 s of a cold server's imports; issue 16).

NO_DOMAIN = "— rules decide"
# What the calendar's default-domain menu shows: short enough for the sidebar.
DOMAIN_CHOICES = {NO_DOMAIN: "by the rules", **{d: f"all {d}" for d in DOMAINS}}
# The settings form's submit button, keyed as Streamlit keys it unasked (tests find it so).
SAVE_SETTINGS = "FormSubmitter:settings-Save settings"


def render_sidebar(setup: Setup, period: Period) -> None:
    """Draw the sidebar (``period``: the chosen week, which an uploaded calendar is checked
    against)."""
    with st.sidebar:
        render_calendars(setup, period)
        st.divider()
        render_settings(setup)
        render_locations(setup)


def settings_submitted() -> bool:
    """Whether this run carries a click on "Save settings" (the app then draws the sidebar,
    which saves them, before the views, so the views already use the new settings)."""
    return bool(st.session_state.get(SAVE_SETTINGS))


# ------------------------------------------------------------------ week


LOOK_BACK = timedelta(days=730)  # how far back a new calendar's latest week is looked for
LOOK_AHEAD = timedelta(days=365)


WEEK_TEXT = "week_text"   # the typed week or day
YEAR = 364                # days: 52 weeks back keeps the weekday (and mostly the week number)


def render_week_picker(config: Config) -> Period:
    """The week picker, one row above the views (in their fragment, so that a week switch
    reruns the views only: widgets of a fragment cannot live in the sidebar)."""
    period = state.chosen_period(config)
    today = clock.now().astimezone(ZoneInfo(config.timezone)).date()
    left, middle, right, typed, back, ahead, label = st.columns(
        [1, 1, 1, 1.5, 0.45, 0.45, 2.4], gap="small", vertical_alignment="bottom")
    left.button("Previous", key="week_previous", icon=":material/chevron_left:",
                on_click=state.shift_week, args=(-7,), width="stretch",
                help="The week before")
    middle.button("This week", key="week_this", on_click=state.go_to, args=(today,),
                  width="stretch", help="The week of today (not over yet)")
    right.button("Next", key="week_next", icon=":material/chevron_right:",
                 icon_position="right", on_click=state.shift_week, args=(7,),
                 width="stretch", help="The week after")
    if not st.session_state.pop(WEEK_TEXT + "_keep", False):
        # show the week in effect (after a button), unless what was typed was refused
        st.session_state[WEEK_TEXT] = _week_text(period, config)
    typed.text_input("Week or day", key=WEEK_TEXT, on_change=_typed_week, args=(config,),
                     placeholder="2026-W47 or 2026-11-19",
                     help="Type an ISO week (2025-W47) or any day of it (2025-11-19) and "
                          "press Enter.")
    back.button("", key="year_previous", icon=":material/keyboard_double_arrow_left:",
                on_click=state.shift_week, args=(-YEAR,), width="stretch",
                help="The same week a year before")
    ahead.button("", key="year_next", icon=":material/keyboard_double_arrow_right:",
                 on_click=state.shift_week, args=(YEAR,),
                 width="stretch", help="The same week a year later")
    show("week")
    period = state.chosen_period(config)
    iso = period.start.isocalendar()
    label.markdown(f"**Week {iso.week} of {iso.year}** · "
                   f"{week_label(period.start, period.end)} · {config.timezone}")
    return period


def _week_text(period: Period, config: Config) -> str:
    if config.week_start == "monday":
        iso = period.start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return period.start.isoformat()


def _typed_week(config: Config) -> None:
    """Go to the typed week (``2025-W47``) or the week of the typed day (``2025-11-19``)."""
    text = (st.session_state.get(WEEK_TEXT) or "").strip()
    try:
        if "W" in text.upper():
            day = parse_week(text.upper(), config.timezone).start
        else:
            day = parse_date(text, "the week")
            week_containing(day, config.timezone, config.week_start)
    except (AuditError, ValueError, OverflowError):  # ValueError/Overflow: beyond year 1
        st.session_state[WEEK_TEXT + "_keep"] = True
        say("week", "error", f"“{text}” is not a week or a day: type 2025-W47 or 2025-11-19.")
        return
    st.session_state.get(state.MESSAGES, {}).pop("week", None)
    state.go_to(day)


# ------------------------------------------------------------------ calendars


def render_calendars(setup: Setup, period: Period) -> None:
    st.subheader("Calendars", anchor=False)
    if setup.sample:
        st.info("You are looking at the **sample calendars** of Alex, an engineering "
                "manager. Connect your own below; the sample steps aside as soon as one "
                "is connected.", icon=":material/science:")
    domains = config_edit.calendar_domains(setup.data)
    options = [NO_DOMAIN, *DOMAINS]
    st.caption("Beside each calendar: what its events are when nothing more specific "
               "decides — *by the rules* (each event on its own), or *all work*, *all "
               "life*, *all integrated* (e.g. a family calendar).")
    for source in setup.sources:
        current = domains.get(source.source)
        # the key carries the value shown, so the widget always starts from the settings
        # in effect (after a save, or when the sample steps aside for the same file name)
        key = f"domain:{source.source}:{current}:{'sample' if setup.sample else 'yours'}"
        name, pick, drop = st.columns([4, 5, 1.1], vertical_alignment="center")
        icon = {"file": ":material/description:", "link": ":material/link:",
                "google": ":material/event:", "sample": ":material/science:",
                "microsoft": ":material/calendar_month:", "caldav": ":material/calendar_month:"
                }[source.kind]
        name.markdown(f"{icon} {source.label}", help=source.source)
        pick.selectbox("Default domain", options, key=key, format_func=DOMAIN_CHOICES.get,
                       index=options.index(current) if current in options else 0,
                       label_visibility="collapsed", on_change=_set_domain,
                       args=(setup, source.source, key))
        if source.remove:
            drop.button("", key="remove:" + source.source, icon=":material/delete:",
                        help="Disconnect this calendar", on_click=_disconnect,
                        args=(source.remove, source.label))
    show("calendars")
    st.button("Reload calendars", key="reload", icon=":material/refresh:",
              on_click=_reload, help="Read files and links again")

    # A new key after each batch empties the uploader: what it connected is listed
    # above, what it rejected is reported below, and nothing stays as if connected.
    st.file_uploader("Add .ics files", type=["ics"], accept_multiple_files=True,
                     key=upload_key(), on_change=_upload, args=(setup, period),
                     help="Kept in your timeaudit data folder, so they are there next time.")
    render_upload_results()
    st.text_input("Add a calendar link", key="link",
                  placeholder="https://… or webcal://…",
                  help="An ICS link: Google's secret address, Outlook's published calendar, "
                       "an iCloud public link …")
    st.button("Add link", key="add_link", on_click=_add_link, args=(setup, period))
    show("link")
    render_google(setup)
    from dashboard.microsoft_panel import render_microsoft  # noqa: PLC0415 - see the imports

    render_microsoft()
    render_caldav(setup)


def _set_domain(setup: Setup, source: str, key: str) -> None:
    value = st.session_state[key]
    domain = None if value == NO_DOMAIN else value
    try:
        state.apply_settings(setup, [config_edit.SetCalendarDomain(source, domain)])
    except AuditError as error:
        say("calendars", "error", str(error))
        return
    say("calendars", "success", f"{source}: {domain or 'no default domain'}")


def _disconnect(remove: dict[str, str], label: str) -> None:
    try:
        connections.remove_connection(**remove)
    except AuditError as error:
        say("calendars", "error", str(error))
        return
    say("calendars", "info", f"Disconnected {label}.")


def _reload() -> None:
    st.session_state[REFRESH] = st.session_state.get(REFRESH, 0) + 1


def _check_calendar(data: bytes, source: str, setup: Setup, period: Period,
                    charset: str | None = None) -> list[str]:
    """Read the calendar: raises `InvalidCalendar` when it cannot be read; returns the
    warnings (skipped events …). The parse is kept in memory, so the dashboard's own read
    of the file costs nothing more.

    When the chosen week has none of its events, the page moves to the most recent week
    that has some (up to two years back; else its first week ahead, up to a year), so a
    newly connected calendar never opens on an empty week.
    """
    now = clock.now()
    # the week on screen now: the picker's fragment may have moved it since the sidebar
    # (and this callback's ``period``) was drawn
    period = state.chosen_period(setup.config)
    lo, hi = period.utc_bounds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_ics(data, start=min(lo, now - LOOK_BACK), end=max(hi, now + LOOK_AHEAD),
                         tz=setup.config.timezone, source=source, charset=charset,
                         owner_emails=setup.config.owner_emails)
    notes = [str(w.message) for w in caught]
    taking_place = frame.filter(pl.col("status") != "cancelled")
    if taking_place.filter((pl.col("start") < hi) & (pl.col("end") > lo)).is_empty():
        starts = taking_place.get_column("start")
        past = starts.filter(starts < now)
        target = past.max() if len(past) else starts.min()
        if target is not None:
            day = target.astimezone(ZoneInfo(setup.config.timezone)).date()
            state.go_to(day)
            notes.append(f"Showing the week of {day:%d %b %Y}, the most recent with its events")
    return notes


UPLOADS = "upload_results"   # the last batch: (file name, kind, text) per file
UPLOAD_GENERATION = "upload_generation"


def upload_key() -> str:
    return f"upload_{st.session_state.get(UPLOAD_GENERATION, 0)}"


def _upload(setup: Setup, period: Period) -> None:
    """Connect each file of the batch that can be read; report each file's outcome."""
    files = st.session_state.get(upload_key()) or []
    if not files:
        return
    results, connected = [], []
    for file in files:
        name = connections.safe_file_name(file.name)
        try:
            notes = _check_calendar(file.getvalue(), f"ics:{name}", setup, period)
            connections.add_upload(name, file.getvalue())
        except AuditError as error:
            reason = str(error)
            for prefix in (f"ics:{name}, ", f"ics:{name}: "):
                reason = reason.removeprefix(prefix)
            results.append((file.name, "error", f"**{file.name}** — not connected: {reason}"))
        else:
            connected.append(file.getvalue())
            results.append((file.name, "success", f"**{file.name}** — connected."
                            + "".join(f" {n}." for n in notes)))
    if connected and setup.sample:
        results.append(("", "info", "The sample calendars stepped aside: you now see your "
                        "own calendars, with your own settings."))
    if connected:
        # the last action succeeded: older messages of the calendar list are stale
        for area in ("calendars", "link"):
            st.session_state.get(state.MESSAGES, {}).pop(area, None)
        zone.propose_zone(connected)
    st.session_state[UPLOADS] = results
    st.session_state[UPLOAD_GENERATION] = st.session_state.get(UPLOAD_GENERATION, 0) + 1


def render_upload_results() -> None:
    for _name, kind, text in st.session_state.get(UPLOADS, []):
        if kind == "error":
            st.error(text, icon=":material/error:")
        elif kind == "success":
            st.success(text, icon=":material/check_circle:")
        else:
            st.info(text, icon=":material/science:")


def _add_link(setup: Setup, period: Period) -> None:
    url = (st.session_state.get("link") or "").strip()
    if not url:
        say("link", "error", "Paste a calendar link first (https://… or webcal://…).")
        return
    try:
        got = fetch_calendar(url)
        notes = _check_calendar(got.data, got.source, setup, period, got.charset)
        connections.add_url(url)
    except AuditError as error:
        say("link", "error", str(error))
        return
    zone.propose_zone([got.data])
    st.session_state["link"] = ""
    say("link", "success", f"Connected {got.source.removeprefix('url:')}."
        + "".join(f" {n}." for n in notes))


# ------------------------------------------------------------------ Google


GOOGLE_STEPS = """\
**First, a client secret.** Google lets an app read your calendar only through an *OAuth
client*: a small JSON file (`client_secret_….json`) that you create for yourself, free,
in five minutes, once. timeaudit has no server, so only your copy can use it.

1. At [console.cloud.google.com](https://console.cloud.google.com/projectcreate), create
   a project (any name, e.g. *timeaudit*).
2. *APIs & Services → Library*: find **Google Calendar API** and press *Enable*.
3. *OAuth consent screen*: user type **External**, status **Testing**, and add **your own
   Google account** under *Test users*.
4. *Credentials → Create credentials → OAuth client ID*, application type
   **Desktop app** (a *Web application* client does not work).
5. Press *Download JSON* and upload that file here.

Then *Connect*: a Google page opens in your browser, where you allow read-only access.
More in `docs/google.md`.
"""


def render_google(setup: Setup) -> None:
    del setup  # the account lives in the store
    from connectors import google_auth  # noqa: PLC0415 - see the imports

    signed_in = google_auth.token_path().exists()
    with st.expander("Google Calendar", icon=":material/event:",
                     expanded=signed_in or "google" in st.session_state.get("messages", {})):
        if not signed_in:
            has_client = google_auth.client_secrets_path().is_file()
            if not has_client:
                st.markdown(GOOGLE_STEPS)
            # a new key after each try empties the uploader (the outcome is said below)
            key = f"google_client_{st.session_state.get('google_client_generation', 0)}"
            st.file_uploader("Client secret (client_secret_….json)" if not has_client
                             else "Another client secret (optional)", type=["json"],
                             key=key, on_change=_remember_google_client, args=(key,))
            if has_client:
                st.caption("Your client secret is saved on this machine. Connect opens "
                           "Google's sign-in page in your browser (read-only access).")
            if st.button("Connect Google Calendar", key="google_connect", type="primary",
                         icon=":material/login:", disabled=not has_client,
                         help=None if has_client else "Upload your client secret first"):
                _connect_google()
        else:
            _google_calendars_picker()
            sync, leave = st.columns(2)
            if sync.button("Sync now", key="google_sync", icon=":material/sync:"):
                _sync_google()
            leave.button("Disconnect", key="google_logout", on_click=_google_logout)
        show("google")


def _remember_google_client(key: str) -> None:
    """Check and keep the uploaded OAuth client; errors name the person's file."""
    client = st.session_state.get(key)
    if client is None:
        return
    st.session_state["google_client_generation"] = (
        st.session_state.get("google_client_generation", 0) + 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "client_secret.json"
        path.write_bytes(client.getvalue())
        from connectors import google_auth  # noqa: PLC0415 - see the imports

        try:
            google_auth.remember_client_secrets(path, label=client.name)
        except AuditError as error:
            say("google", "error", str(error))
            return
    say("google", "success", f"Saved {client.name}: now press Connect Google Calendar.")


def _progress_bar() -> tuple[st.delta_generator.DeltaGenerator, object]:
    bar = st.progress(0.0, text="Contacting Google …")

    def report(step: google_api.SyncProgress) -> None:
        done = (step.index - 1 + (1.0 if step.done else 0.5)) / max(step.total, 1)
        bar.progress(min(done, 1.0), text=str(step))

    return bar, report


def _connect_google() -> None:
    from connectors import google as google_api  # noqa: PLC0415 - see the imports

    st.info("A Google sign-in page opens in your browser; finish there (within five "
            "minutes).", icon=":material/open_in_new:")
    try:
        google_api.login()   # with the remembered client
    except AuditError as error:
        say("google", "error", str(error))
        return
    _sync_google()


def _sync_google() -> None:
    from connectors import google as google_api  # noqa: PLC0415 - see the imports

    bar, report = _progress_bar()
    try:
        results = google_api.sync(progress=report)
    except AuditError as error:
        bar.empty()
        say("google", "error", str(error))
        return
    bar.progress(1.0, text="Synced.")
    say("google", "success", "; ".join(str(r) for r in results) or "Nothing to sync.")
    st.rerun()


def _google_calendars_picker() -> None:
    try:
        known = google_store.stored_calendars()
        chosen = google_store.selected_ids() or [c.id for c in known if c.primary]
    except AuditError as error:
        say("google", "error", str(error))
        return
    if not known:
        st.caption("Signed in. Sync to list your calendars.")
        return
    labels = {c.id: c.label for c in known}
    st.multiselect("Calendars to read", list(labels), default=[i for i in chosen if i in labels],
                   format_func=labels.get, key="google_selection",
                   on_change=_select_google, args=(known,))


def _select_google(known: list[google_store.Calendar]) -> None:
    wanted = set(st.session_state.get("google_selection") or [])
    try:
        google_store.set_selection([c for c in known if c.id in wanted])
    except AuditError as error:
        say("google", "error", str(error))
        return
    say("google", "info", "Selection saved; press Sync now to fetch new calendars.")


def _google_logout() -> None:
    from connectors import google as google_api  # noqa: PLC0415 - see the imports

    google_api.logout()
    say("google", "info", "Signed out of Google on this machine. Synced events stay until "
        "you run `timeaudit google logout --forget-data`.")


# ------------------------------------------------------------------ CalDAV


def render_caldav(setup: Setup) -> None:
    del setup  # like render_google: the account lives in the store
    try:
        account = caldav_store.load_account()
    except AuditError as error:
        say("caldav", "error", str(error))
        account = None
    with st.expander("CalDAV: iCloud, Fastmail, Nextcloud…", icon=":material/calendar_month:",
                     expanded=account is not None
                     or "caldav" in st.session_state.get("messages", {})):
        if account is None:
            st.caption("Read-only, on this machine. Use an app-specific password where the "
                       "provider offers one (docs/caldav.md). It is kept in the system "
                       "keyring, or in a file only you can read.")
            with st.form("caldav_login", border=False):
                st.text_input("Server", key="caldav_url",
                              placeholder="https://caldav.icloud.com")
                st.text_input("User name", key="caldav_user", placeholder="you@icloud.com")
                st.text_input("Password", key="caldav_password", type="password")
                st.form_submit_button("Connect CalDAV account", key="caldav_connect",
                                      icon=":material/login:", on_click=_connect_caldav)
        else:
            signed_in = st.session_state.pop("caldav_signed_in", None)
            if signed_in is not None:
                _sync_caldav(signed_in)
            _caldav_calendars_picker()
            sync, leave = st.columns(2)
            if sync.button("Sync now", key="caldav_sync", icon=":material/sync:"):
                _sync_caldav()
            leave.button("Disconnect", key="caldav_logout", on_click=_caldav_logout)
        show("caldav")


def _connect_caldav() -> None:
    """The form's callback (before the script runs, so the password field can be emptied:
    the password is not kept in the session); the first sync follows in the script."""
    from connectors import caldav as caldav_api  # noqa: PLC0415 - see the imports

    password = st.session_state.get("caldav_password") or ""
    st.session_state["caldav_password"] = ""
    try:
        result = caldav_api.login(st.session_state.get("caldav_url") or "",
                                  st.session_state.get("caldav_user") or "", password)
    except AuditError as error:
        say("caldav", "error", str(error))
        return
    st.session_state["caldav_signed_in"] = f"Signed in; the password is {result.where}."


def _sync_caldav(before: str = "") -> None:
    from connectors import caldav as caldav_api  # noqa: PLC0415 - see the imports

    bar = st.progress(0.0, text="Contacting the CalDAV server …")

    def report(step: caldav_api.SyncProgress) -> None:
        done = (step.index - 1 + (1.0 if step.done else 0.5)) / max(step.total, 1)
        bar.progress(min(done, 1.0), text=str(step))

    try:
        results = caldav_api.sync(progress=report)
    except AuditError as error:
        bar.empty()
        say("caldav", "error", " ".join(filter(None, (before, str(error)))))
        return
    bar.progress(1.0, text="Synced.")
    synced = "; ".join(str(r) for r in results) or "Nothing to sync."
    say("caldav", "success", " ".join(filter(None, (before, synced))))
    st.rerun()


def _caldav_calendars_picker() -> None:
    try:
        known = caldav_store.stored_calendars()
        chosen = caldav_store.selected_urls() or [c.url for c in known]
    except AuditError as error:
        say("caldav", "error", str(error))
        return
    if not known:
        st.caption("Signed in. Sync to list your calendars.")
        return
    labels = {c.url: c.name for c in known}
    st.multiselect("Calendars to read", list(labels), default=[u for u in chosen if u in labels],
                   format_func=labels.get, key="caldav_selection",
                   on_change=_select_caldav, args=(known,))


def _select_caldav(known: list[caldav_store.Calendar]) -> None:
    wanted = set(st.session_state.get("caldav_selection") or [])
    try:
        caldav_store.set_selection([c for c in known if c.url in wanted])
    except AuditError as error:
        say("caldav", "error", str(error))
        return
    say("caldav", "info", "Selection saved; press Sync now to fetch new calendars.")


def _caldav_logout() -> None:
    from connectors import caldav as caldav_api  # noqa: PLC0415 - see the imports

    caldav_api.logout(forget_data=True)
    say("caldav", "info", "Disconnected: the password and the synced CalDAV events are "
        "deleted from this machine.")


# ------------------------------------------------------------------ settings


def _form_key(setup: Setup) -> str:
    """Widget keys change with the settings, so the form shows the settings in effect
    after a save (and keeps what was typed after a rejected one)."""
    return hashlib.sha256(setup.config_key.encode()).hexdigest()[:8]


def render_settings(setup: Setup) -> None:
    st.subheader("Settings", anchor=False)
    if setup.problem:
        st.error(setup.problem, icon=":material/error:")
    elif setup.path is not None and not setup.path.exists():
        st.info(f"Nothing saved yet: the machine's time zone ({setup.config.timezone}) and "
                "the default hours apply. Save the form to keep your own.",
                icon=":material/tune:")
    current = settings_form.form_from_config(setup.config)
    gen = _form_key(setup)
    with st.form("settings"):
        st.markdown("**Working hours** · e.g. 9-17 or 09:00–17:30, empty = day off")
        hours = {}
        for pair in (WEEKDAYS[0:2], WEEKDAYS[2:4], WEEKDAYS[4:6], WEEKDAYS[6:]):
            columns = st.columns(2)
            for column, day in zip(columns, pair, strict=False):
                hours[day] = column.text_input(day.title(), current.working_hours[day],
                                               key=f"wh_{day}_{gen}")
        st.markdown("**Protected time** · work inside is a violation")
        blocks = pl.DataFrame(
            [dict(b) for b in current.protected],
            schema={"name": pl.String, "days": pl.String, "time": pl.String})
        edited = st.data_editor(
            blocks, num_rows="dynamic", key=f"protected_{gen}", width="stretch",
            hide_index=True,
            column_config={
                "name": st.column_config.TextColumn("name", width="small"),
                "days": st.column_config.TextColumn("days", help="e.g. mon-fri, or sat, sun"),
                "time": st.column_config.TextColumn("time", help="HH:MM-HH:MM"),
            })
        st.markdown("**Focus**")
        left, right = st.columns(2)
        block = left.number_input("Block length (min)", min_value=15, max_value=600,
                                  value=int(current.min_block_minutes), step=15,
                                  key=f"focus_block_{gen}",
                                  help="A free stretch this long counts as focus time.")
        target = right.number_input("Target (h / week)", min_value=0.0, max_value=80.0,
                                    value=float(current.target_hours_per_week), step=0.5,
                                    key=f"focus_target_{gen}")
        with st.expander("Time zone, boundaries, you"):
            zone = st.text_input("Time zone", current.timezone, key=f"tz_{gen}",
                                 help="An IANA name such as Europe/Berlin")
            late = st.text_input("Late night", current.late_night, key=f"late_{gen}")
            longest = st.number_input("Longest workday (h)", min_value=1.0, max_value=24.0,
                                      value=float(current.max_workday_hours), step=0.5,
                                      key=f"max_day_{gen}")
            quiet = st.multiselect("No-meeting days", WEEKDAYS,
                                   default=list(current.no_meeting_days),
                                   format_func=str.title, key=f"no_meeting_{gen}")
            emails = st.text_input("Your e-mail addresses", ", ".join(current.owner_emails),
                                   key=f"emails_{gen}")
            work = st.text_input("Work e-mail domains", ", ".join(current.work_domains),
                                 key=f"work_domains_{gen}")
        submitted = st.form_submit_button("Save settings", key=SAVE_SETTINGS,
                                          icon=":material/save:",
                                          type="primary", width="stretch")
    if submitted:
        form = settings_form.SettingsForm(
            timezone=zone, working_hours=hours, late_night=late,
            max_workday_hours=longest,
            no_meeting_days=tuple(d for d in WEEKDAYS if d in quiet),
            protected=tuple(edited.to_dicts()),
            min_block_minutes=int(block), target_hours_per_week=float(target),
            owner_emails=settings_form.split_list(emails),
            work_domains=settings_form.split_list(work))
        try:
            edits = settings_form.settings_edits(setup.config, form, file=setup.label)
            state.apply_settings(setup, edits)
        except AuditError as error:
            say("settings", "error", str(error))
        else:
            where = "for this session (sample)" if setup.sample else f"to {setup.path}"
            say("settings", "success", f"Saved {where}." if edits else "Nothing changed.")
            if edits:
                st.rerun()
    show("settings")


def render_locations(setup: Setup) -> None:
    where = ("Settings: the sample's own (not saved)" if setup.sample
             else f"Settings: `{setup.path}`")
    st.caption(f"{where}  \nCalendars and overrides: `{connections.data_dir()}`  \n"
               "The `timeaudit` command line reads the same settings.")

