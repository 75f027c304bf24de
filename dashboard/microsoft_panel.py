"""The sidebar's Microsoft 365 / Outlook.com panel: sign in, choose calendars, sync.

The same functions as `timeaudit microsoft …` (`connectors.graph`, `connectors.graph_auth`);
the Graph client comes from `connectors.graph_session.client_factory` and the MSAL app
from its ``app_factory``, the seams tests replace. Outcomes are reported beside the widgets
(`dashboard.state.say`, area ``microsoft``).
"""

from __future__ import annotations

import streamlit as st

from connectors import graph, graph_auth, graph_session, graph_store
from core.errors import AuditError
from dashboard.state import say, show

AREA = "microsoft"
_DEVICE, _BROWSER = "A code (any browser, any device)", "This machine's browser"


def _remembered() -> graph_auth.AppRegistration | None:
    try:
        return graph_auth.load_app()
    except AuditError:
        return None


def render_microsoft() -> None:
    signed_in = graph_auth.cache_path().exists()
    with st.expander("Microsoft 365 / Outlook.com", icon=":material/calendar_month:",
                     expanded=signed_in or AREA in st.session_state.get("messages", {})):
        if not signed_in:
            remembered = _remembered()
            st.caption("Read-only access (Calendars.Read), on this machine. Bring your own "
                       "app registration (see docs/microsoft.md); it is remembered.")
            st.text_input("Application (client) ID", key="microsoft_client_id",
                          value=remembered.client_id if remembered else "")
            st.text_input("Tenant", key="microsoft_tenant",
                          value=remembered.tenant if remembered else "common",
                          help="common, consumers (Outlook.com), organizations, or your "
                               "tenant id / domain")
            st.radio("Sign in with", [_DEVICE, _BROWSER], key="microsoft_flow")
            if st.button("Connect Microsoft", key="microsoft_connect", icon=":material/login:"):
                _connect()
        else:
            _calendars_picker()
            sync, leave = st.columns(2)
            if sync.button("Sync now", key="microsoft_sync", icon=":material/sync:"):
                _sync()
            leave.button("Disconnect", key="microsoft_logout", on_click=_logout)
        show(AREA)


def _connect() -> None:
    client_id = (st.session_state.get("microsoft_client_id") or "").strip()
    tenant = (st.session_state.get("microsoft_tenant") or "").strip() or "common"
    device = st.session_state.get("microsoft_flow", _DEVICE) == _DEVICE
    if not client_id:
        say(AREA, "error", "enter the application (client) ID of your app registration "
            "(docs/microsoft.md, step 5)")
        return
    if not device:
        st.info("A Microsoft sign-in page opens in your browser; finish there (within five "
                "minutes).", icon=":material/open_in_new:")
    try:
        graph_auth.login(client_id, tenant, device_code=device,
                         show=lambda text: st.info(text, icon=":material/key:"),
                         app_factory=graph_session.app_factory)
    except AuditError as error:
        say(AREA, "error", str(error))
        return
    _sync()


def _sync() -> None:
    bar = st.progress(0.0, text="Contacting Microsoft …")

    def report(step: graph.SyncProgress) -> None:
        done = (step.index - 1 + (1.0 if step.done else 0.5)) / max(step.total, 1)
        bar.progress(min(done, 1.0), text=str(step))

    try:
        results = graph.sync(client=graph_session.client_factory(), progress=report)
    except AuditError as error:
        bar.empty()
        say(AREA, "error", str(error))
        return
    bar.progress(1.0, text="Synced.")
    say(AREA, "success", "; ".join(str(r) for r in results) or "Nothing to sync.")
    st.rerun()


def _calendars_picker() -> None:
    try:
        known = graph_store.stored_calendars()
        chosen = graph_store.selected_ids() or [c.id for c in known if c.default]
    except AuditError as error:
        say(AREA, "error", str(error))
        return
    if not known:
        st.caption("Signed in. Sync to list your calendars.")
        return
    labels = {c.id: c.label for c in known}
    st.multiselect("Calendars to read", list(labels), default=[i for i in chosen if i in labels],
                   format_func=labels.get, key="microsoft_selection",
                   on_change=_select, args=(known,))


def _select(known: list[graph_store.Calendar]) -> None:
    wanted = set(st.session_state.get("microsoft_selection") or [])
    try:
        graph_store.set_selection([c for c in known if c.id in wanted])
    except AuditError as error:
        say(AREA, "error", str(error))
        return
    say(AREA, "info", "Selection saved; press Sync now to fetch new calendars.")


def _logout() -> None:
    graph_auth.logout()
    say(AREA, "info", "Signed out of Microsoft on this machine. Synced events stay until "
        "you run `timeaudit microsoft logout --forget-data`.")
