"""Login and logout around streamlit-authenticator.

The library draws the form, checks the bcrypt hash and sets the signed cookie. Everything it
cannot be trusted with is decided by core.auth (ARCHITECTURE.md lists why):
- a cookie is only accepted if core finds a live server-side session for it; otherwise the
  library is told to ignore cookies for this browser session;
- failures are counted in the database, for whatever username was typed;
- the actor (roles, language, active) is read from the database on every run.
"""
from __future__ import annotations

import time

import streamlit as st
import streamlit_authenticator as stauth

from core import auth
from core.actor import Actor
from core.config import cookie_secret
from core.errors import DomainError
from core.i18n import N_
from ui import fmt, keys, runtime

COOKIE_EXPIRY_DAYS = auth.SESSION_LIFETIME.total_seconds() / 86400
WRONG = N_("Wrong username or password.")
LOCKED = N_("Too many failed attempts. This username is locked for {minutes} minutes.")


class _TriedUsernames(dict):
    """The library looks the typed username up in this dict; we note it, so that a failure
    is counted for that name even when no such account exists."""
    tried: str | None = None

    def __contains__(self, username):
        self.tried = username
        return super().__contains__(username)


def current_actor() -> Actor | None:
    """The logged-in actor for this run, or None after drawing the login form."""
    uow = runtime.uow()
    secret = cookie_secret(runtime.secret())

    key = st.session_state.get(keys.SESSION_KEY)
    if key:
        actor = auth.resume_session(uow, key)
        if actor:
            return _logged_in(key, actor)
        _forget(N_("Your session has ended. Please log in again."))

    if not st.session_state.get(keys.LIB_LOGOUT):
        token = st.context.cookies.get(keys.COOKIE_NAME)
        if token:
            key = auth.session_key_from_cookie(token, secret)
            actor = auth.resume_session(uow, key) if key else None
            if actor:
                return _logged_in(key, actor)
            # A cookie without a live session (logged out, disabled, forged): the library
            # must not accept it on its own.
            st.session_state[keys.LIB_LOGOUT] = True

    return _login_form(uow, secret)


def _login_form(uow, secret: str) -> Actor | None:
    _ = runtime.gettext()
    credentials = auth.login_credentials(uow)
    authenticator = stauth.Authenticate(
        credentials, cookie_name=keys.COOKIE_NAME, cookie_key=secret,
        cookie_expiry_days=COOKIE_EXPIRY_DAYS, auto_hash=False, login_sleep_time=0.2)
    usernames = credentials["usernames"] = _TriedUsernames(credentials["usernames"])
    # The password check is core's: one bcrypt comparison of the same cost for every attempt
    # (the library's skips bcrypt for a password over 72 bytes, so its speed told which
    # usernames exist).
    authenticator.authentication_controller.authentication_model.check_credentials = (
        lambda username, password: auth.password_matches(
            password, dict.get(usernames, username, {}).get("password")))
    accepted: dict[str, str] = {}
    if not _cookie_component_ready():
        st.caption(_("Loading…"))
        return None

    notice = st.session_state.get(keys.NOTICE)  # cleared once someone logs in
    if notice:
        st.info(_(notice))
    authenticator.login(
        location="main", key="login",
        fields={"Form name": _("Log in to CareDesk"), "Username": _("Username"),
                "Password": _("Password"), "Login": _("Log in")},
        callback=lambda info: accepted.update(username=info["username"]))

    status = st.session_state.get(keys.LIB_STATUS)
    if status is True and accepted:
        expiry = authenticator.cookie_controller.cookie_model.exp_date
        key = auth.session_key(accepted["username"], expiry)
        try:
            actor = auth.start_session(uow, accepted["username"], key)
        except DomainError as e:
            _clear_library_state()
            st.error(fmt.error_md(e, _))
            return None
        return _logged_in(key, actor)
    if status is False:
        _clear_library_state()
        tried = usernames.tried
        locked_until = auth.record_failed_login(uow, tried) if tried else None
        if locked_until:
            st.error(_(LOCKED).format(minutes=int(auth.LOCK_DURATION.total_seconds() // 60)))
        else:
            st.error(_(WRONG))
    return None


def _cookie_component_ready() -> bool:
    """The library's cookie component reports to the server once after it mounts, which
    reruns the script; a "Log in" click in the run that report interrupts is lost. So the
    form is drawn only once the report has arrived (a few short waits at most, so that a
    browser that blocks the component can still log in)."""
    # its default is {}; what the browser reports holds at least Streamlit's XSRF cookie
    if st.session_state.get(keys.COOKIE_COMPONENT):
        st.session_state.pop(keys.COOKIE_WAITS, None)
        return True
    waits = st.session_state.get(keys.COOKIE_WAITS, 0)
    if waits >= 6:
        return True
    st.session_state[keys.COOKIE_WAITS] = waits + 1
    if waits:  # the first run just mounted it; after that, look again shortly
        time.sleep(0.25)
        st.rerun()
    return False


def _logged_in(key: str, actor: Actor) -> Actor:
    st.session_state.pop(keys.NOTICE, None)
    st.session_state[keys.SESSION_KEY] = key
    st.session_state[keys.ACTOR] = actor
    st.session_state[keys.LIB_STATUS] = True
    st.session_state[keys.LIB_USERNAME] = actor.username
    st.session_state[keys.LIB_NAME] = actor.display_name
    return actor


def _clear_library_state() -> None:
    for k in (keys.LIB_STATUS, keys.LIB_USERNAME, keys.LIB_NAME):
        st.session_state[k] = None


# What outlives a person's session in this browser tab: the cookie component's own state and
# the language the login form is shown in. Everything else (drafts, selections, filters,
# messages) and the query parameters belonged to the person who is gone.
_KEPT = frozenset({keys.COOKIE_COMPONENT, keys.COOKIE_WAITS, keys.LANGUAGE})


def _forget(notice: str | None = None) -> None:
    for k in list(st.session_state.keys()):
        if k not in _KEPT:
            del st.session_state[k]
    st.query_params.clear()
    _clear_library_state()
    st.session_state[keys.LIB_LOGOUT] = True
    if notice:
        st.session_state[keys.NOTICE] = notice


def logout(notice: str | None = None) -> None:
    key = st.session_state.get(keys.SESSION_KEY)
    if key:
        auth.end_session(runtime.uow(), key)
    # Ask the browser to drop the cookie too; the server-side row is what really ends it.
    authenticator = stauth.Authenticate(
        {"usernames": {}}, cookie_name=keys.COOKIE_NAME,
        cookie_key=cookie_secret(runtime.secret()), auto_hash=False)
    if st.session_state.get(keys.LIB_STATUS):
        authenticator.logout(location="unrendered")
    _forget(notice)
