"""The engine (the one cached resource), units of work, the current actor and language."""
from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from core.actor import Actor
from core.i18n import Gettext, translator
from core.uow import UnitOfWork
from db.migrate import upgrade
from db.session import make_engine
from ui import keys


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    eng = make_engine()
    upgrade(eng)  # an empty or older database is brought to head on first start
    return eng


def uow() -> UnitOfWork:
    return UnitOfWork(engine())


def actor() -> Actor | None:
    return st.session_state.get(keys.ACTOR)


def require_actor() -> Actor:
    current = actor()
    if current is None:  # pages only run through app.py's navigation, after login
        st.stop()
    return current


def language() -> str:
    current = actor()
    return current.language if current else st.session_state.get(keys.LANGUAGE, "en")


def gettext() -> Gettext:
    return translator(language())


def deliver_messages() -> None:
    """After a write: send what it put in the outbox, when SMTP is configured."""
    from core import messages
    if messages.smtp_configured():
        messages.deliver_pending(uow())


def secret() -> str | None:
    """CAREDESK_SECRET from .streamlit/secrets.toml, if that file exists (it usually does not:
    the environment variable or the generated key file are the common cases)."""
    if not st.secrets.load_if_toml_exists():
        return None
    return st.secrets.get("CAREDESK_SECRET")
