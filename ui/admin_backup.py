"""Administration -> Backup (core.backups). SQLite: make a backup now into the data
directory's backups/ folder, see the backups there, and the command that restores one with
the app stopped. PostgreSQL: the pg_dump / pg_restore commands to run on the server."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import backups
from core.actor import Actor
from core.i18n import N_
from core.permissions import Action, allowed
from ui import actions, keys, runtime
from ui.fmt import local, md

WHY_NOT_HERE = N_(
    "A restore is not done from this page. It replaces the whole database under everyone "
    "who is working: their unsaved changes, their logins and the app's cached figures all "
    "belong to the database being replaced, and changes made while it runs would be lost or "
    "mixed in. So it is done with the app stopped, from the command line, on the server.")
RESTORE_STEPS = N_(
    "1. Stop CareDesk.  \n2. In CareDesk's folder, with the same settings as the app "
    "(DATABASE_URL, CAREDESK_DATA_DIR), run the command below and confirm.  \n3. Start "
    "CareDesk again. An older backup is brought to the current version on the way.")


def _size(n: int) -> str:
    """1536 -> "1.5 KB"."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def _sqlite(actor: Actor, _) -> None:
    st.caption(_("A consistent copy of the database, made while everyone keeps working, into "
                 "the backups folder of the data directory. Backups hold every customer's "
                 "personal data: copy them to a safe place, and keep that place private."))
    if st.button(_("Make a backup now"), type="primary", icon=":material/backup:",
                 key=keys.BACKUP_NOW):
        with st.spinner(_("Copying the database…")):
            done, made = actions.call(backups.make_backup)
        if done:
            st.success(_("Backup {name} written ({size}).").format(
                name=md(made.name), size=_size(made.size_bytes)))

    try:
        found = backups.list_backups(runtime.uow(), actor)
    except OSError as e:  # a folder that cannot be read: say so, keep the page
        st.error(_("The backups folder cannot be read: {error}").format(error=md(str(e))))
        return
    folder = backups.backup_directory()
    st.markdown("**" + _("Backups in {folder}").format(folder=md(str(folder))) + "**")
    if not found:
        st.info(_("No backup yet."))
    else:
        st.dataframe(pd.DataFrame({
            _("File"): [b.name for b in found],
            _("Size"): [_size(b.size_bytes) for b in found],
            _("Made"): [local(b.modified_at) for b in found],
        }), hide_index=True, width="stretch", key=keys.BACKUP_TABLE,
            column_config={_("Made"): st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm:ss")})

    st.subheader(_("Restore"))
    st.write(_(WHY_NOT_HERE))
    st.markdown(_(RESTORE_STEPS))
    names = [b.name for b in found]
    chosen = (st.selectbox(_("Backup to restore"), names, key=keys.BACKUP_PICK)
              if names else None)
    st.code(backups.restore_command(folder / chosen if chosen else "FILE"), language="bash")


def _postgres(_) -> None:
    st.info(_("This database is PostgreSQL: backups are made on the server with pg_dump, "
              "not from this page."), icon=":material/dns:")
    tools = backups.postgres_tools()
    if not all(tools.values()):
        missing = ", ".join(t for t, ok in tools.items() if not ok)
        st.warning(_("{tools} is not installed where CareDesk runs: install the PostgreSQL "
                     "client tools (Debian: apt-get install postgresql-client).").format(
            tools=md(missing)))
    st.markdown("**" + _("Make a backup (safe while the app runs)") + "**")
    st.code(backups.backup_command("backups/caredesk-YYYYMMDD.dump"), language="bash")
    st.subheader(_("Restore"))
    st.write(_(WHY_NOT_HERE))
    st.markdown(_(RESTORE_STEPS))
    st.code(backups.restore_command("backups/caredesk-YYYYMMDD.dump"), language="bash")
    st.caption(_("The backup is pg_dump's custom format; the restore runs pg_restore --clean "
                 "in a single transaction, so a failed restore changes nothing."))


def render(actor: Actor) -> None:
    _ = runtime.gettext()
    st.subheader(_("Backup and restore"))
    if not allowed(actor.roles, Action.BACKUP_RUN):
        st.info(_("Only administrators make backups."))
        return
    if backups.online_backup_supported(runtime.uow()):
        _sqlite(actor, _)
    else:
        _postgres(_)
