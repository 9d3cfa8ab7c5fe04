"""The engine (the one cached resource), units of work, the current actor and language."""
from __future__ import annotations

import logging
import threading

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.actor import Actor
from core.i18n import Gettext, translator
from core.uow import UnitOfWork, database_error
from db.migrate import upgrade
from db.session import make_engine
from ui import keys

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    eng = make_engine()
    try:
        upgrade(eng)  # an empty or older database is brought to head on first start
    except SQLAlchemyError as e:
        # nothing is cached: the next run (the user trying again) starts over
        eng.dispose()
        mapped = database_error(e)
        if mapped is None:
            raise
        raise mapped from e
    return eng


@st.cache_resource(ttl=3600, show_spinner=False)
def periodic_rules_started() -> threading.Thread:
    """Tops up the periodic care calls at most once an hour per app process, in the
    background so that nobody waits for it (`manage.py callbacks` does the same from cron)."""
    def work() -> None:
        from core import callback_rules
        try:
            callback_rules.run_periodic(uow())
        except Exception:  # a busy or unreachable database: the next hour tries again
            log.exception("periodic callback rules failed")
    thread = threading.Thread(target=work, name="caredesk-periodic-rules", daemon=True)
    thread.start()
    return thread


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
