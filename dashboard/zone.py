"""The person's time zone on first use with their own calendars: detected, then asked.

The sample lives in Europe/Berlin; a person's own calendars may not. When the first
calendar is connected and their settings name no zone yet, the zone most of their
calendars declare (X-WR-TIMEZONE / VTIMEZONE, `connectors.zones`) — else the machine's —
is written to their settings at once, so the page never falls back to some other zone
silently, and the page asks them to confirm it or pick another (docs/dashboard.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from zoneinfo import available_timezones

import streamlit as st

from audit import config_edit
from audit.config import is_zone, local_zone_name
from connectors.zones import declared_zone, majority_zone
from core.errors import AuditError
from dashboard import state
from dashboard.state import Setup, say, show

ASK = "zone_ask"        # (zone, why): waiting for the person to confirm it
CHOICE = "zone_choice"


@cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if is_zone(z)))


def _saved_zone() -> str | None:
    try:
        return config_edit.read_config_data(config_edit.user_config_path()).get("timezone")
    except AuditError:
        return None


def propose_zone(calendars: Sequence[bytes]) -> None:
    """After calendars were connected: when the person's settings name no zone, save the
    one most calendars declare (else the machine's) and ask them to confirm it."""
    if not calendars or _saved_zone() is not None:
        return
    zone, count, total = majority_zone(declared_zone(data) for data in calendars)
    if zone is not None:
        why = (f"{count} of the {total} calendars you connected say so" if total > 1
               else "the calendar you connected says so")
    else:
        zone, why = local_zone_name(), "your calendars do not say; it is this computer's zone"
    try:
        config_edit.save_config(config_edit.user_config_path(),
                                [config_edit.SetKey(("timezone",), zone)])
    except AuditError as error:
        say("zone", "error", str(error))
        return
    st.session_state[ASK] = (zone, why)


def render_zone_prompt(setup: Setup) -> None:
    """Ask once: on the page after the first connection (or while nothing names a zone)."""
    ask = st.session_state.get(ASK)
    if ask is None and not setup.sample and "timezone" not in setup.data:
        ask = (setup.config.timezone, "nothing names one yet; it is this computer's zone")
    if ask is None or setup.sample:
        show("zone")
        return
    zone, why = ask
    with st.container(border=True, key="zone_prompt"):
        st.markdown(f":material/public: **Is your time zone {zone}?** ({why}.) Days, "
                    "working hours and boundaries are counted in it.")
        yes, other = st.columns([1, 2], vertical_alignment="bottom")
        yes.button(f"Yes, {zone}", key="zone_confirm", type="primary", width="stretch",
                   on_click=_confirm, args=(setup, zone))
        other.selectbox("Or choose yours", zone_names(), index=None, key=CHOICE,
                        placeholder="Type a city, e.g. Berlin, New York, Tokyo",
                        on_change=_choose, args=(setup,))
    show("zone")


def _save(setup: Setup, zone: str) -> None:
    try:
        state.apply_settings(setup, [config_edit.SetKey(("timezone",), zone)])
    except AuditError as error:
        say("zone", "error", str(error))
        return
    st.session_state.pop(ASK, None)
    say("zone", "success", f"Time zone: {zone}. Change it any time under Settings.")


def _confirm(setup: Setup, zone: str) -> None:
    _save(setup, zone)


def _choose(setup: Setup) -> None:
    zone = st.session_state.get(CHOICE)
    if zone:
        _save(setup, zone)
