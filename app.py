"""CareDesk: log the user in and build the navigation from their roles. Nothing else."""
from __future__ import annotations

import logging

import streamlit as st

from core import auth, staff
from core.errors import Busy, DatabaseUnavailable, DomainError, Unexpected
from core.i18n import LANGUAGES, language_name, translator
from core.labels import ROLE
from core.navigation import screens_for
from ui import keys, login, runtime
from ui.fmt import error_md
from ui.setup import setup_screen

log = logging.getLogger("caredesk")

st.set_page_config(page_title="CareDesk", page_icon=":material/support_agent:",
                   layout="wide")


def language_picker(actor) -> None:
    _ = runtime.gettext()
    current = runtime.language()

    def changed() -> None:
        chosen = st.session_state["caredesk.language_picker"]
        st.session_state[keys.LANGUAGE] = chosen
        if actor is not None:
            try:
                auth.set_language(runtime.uow(), actor, chosen)
            except DomainError as error:   # a callback runs before the try below
                st.error(error_md(error, translator(chosen)))

    st.sidebar.selectbox(_("Language"), LANGUAGES, index=LANGUAGES.index(current),
                         format_func=language_name, key="caredesk.language_picker",
                         on_change=changed)


def main() -> None:
    uow = runtime.uow()
    if staff.needs_setup(uow):
        language_picker(None)
        st.navigation([st.Page(setup_screen, title="CareDesk", url_path="setup")],
                      position="hidden").run()
        return

    actor = login.current_actor()
    if actor is None:
        language_picker(None)
        st.navigation([st.Page(lambda: None, title="CareDesk", url_path="login")],
                      position="hidden").run()
        return

    runtime.periodic_rules_started()
    _ = runtime.gettext()
    with st.sidebar:
        st.caption(_("Signed in as"))
        st.text(f"{actor.display_name} ({actor.username})")
        st.caption(" · ".join(_(ROLE[r]) for r in sorted(actor.roles)))
    language_picker(actor)
    if st.sidebar.button(_("Log out"), icon=":material/logout:", key="caredesk.logout"):
        login.logout()
        st.rerun()

    # The landing page is the default (served at "/"), so every screen keeps its own URL.
    sections: dict[str, list[st.Page]] = {"": [st.Page("pages/home.py", title=_("Home"),
                                                      icon=":material/home:", default=True)]}
    for screen in screens_for(actor.roles, actor.must_change_password):
        sections.setdefault(_(screen.section), []).append(
            st.Page(f"pages/{screen.key}.py", title=_(screen.title), icon=screen.icon,
                    url_path=screen.key))
    st.navigation(sections).run()


def _failed(error: DomainError) -> None:
    _ = runtime.gettext()
    st.error(error_md(error, _))
    if isinstance(error, (Busy, DatabaseUnavailable, Unexpected)):
        # the page may not have been drawn at all: a way back without reloading the tab
        st.button(_("Try again"), key="caredesk.try_again")


try:
    main()
except DomainError as error:   # includes a busy or unreachable database (core.uow)
    _failed(error)
except Exception:  # noqa: BLE001
    # A bug: the details (often SQL) go to the server's log; the user gets a plain message.
    # (st.stop and st.rerun are not Exceptions: they pass through.)
    log.exception("unexpected error in a page run")
    _failed(Unexpected())
