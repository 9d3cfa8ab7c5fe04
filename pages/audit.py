"""Audit log: who did what, when, to which record (core.audit_log). Filters in a form; newest
first, a page at a time; the view "who viewed or exported personal data"; an entry's values
before and after, as indented JSON text; the filtered log as CSV or Excel (recorded in the
log itself)."""
from dataclasses import replace

import pandas as pd
import streamlit as st

from core import audit_log, auth, data_exports
from core.errors import DomainError, NotLoggedIn
from core.i18n import N_
from ui import keys, runtime
from ui.fmt import error_md, local

_ = runtime.gettext()
actor = runtime.require_actor()

TTL = 300
VIEWS = {"all": N_("All entries"), "personal": N_("Who viewed or exported personal data")}
BUTTONS = {"csv": N_("Download CSV"), "xlsx": N_("Download Excel")}
ICONS = {"csv": ":material/download:", "xlsx": ":material/table_view:"}


@st.cache_data(ttl=TTL, show_spinner=False)
def load_options(staff_id: int, roles: tuple[str, ...]) -> audit_log.AuditOptions:
    # cached per person and roles (a role taken away is not served from the cache)
    return audit_log.options(runtime.uow(), runtime.require_actor())


def older() -> None:
    applied, cursors, next_id = st.session_state[keys.AUDIT_CURSORS]
    st.session_state[keys.AUDIT_CURSORS] = (applied, [*cursors, next_id], None)


def newer() -> None:
    applied, cursors, next_id = st.session_state[keys.AUDIT_CURSORS]
    st.session_state[keys.AUDIT_CURSORS] = (applied, cursors[:-1] or [None], None)


st.title(_("Audit log"))
st.caption(_("Who did what, when, to which record; and who viewed or exported personal data."))

try:
    options = load_options(actor.staff_id, tuple(sorted(actor.roles)))
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

view = st.segmented_control(_("Show"), list(VIEWS), default="all", required=True,
                            format_func=lambda v: _(VIEWS[v]), key=keys.AUDIT_VIEW)
if view == "personal":
    st.caption(_("Customer profiles opened, exports previewed or downloaded, and downloads "
                 "of this log."))

staff = dict(options.staff)
with st.form(keys.AUDIT_FORM):
    c1, c2, c3 = st.columns(3)
    who = c1.selectbox(_("Who"), [None, *staff],
                       format_func=lambda i: _("Anyone") if i is None else staff[i],
                       key=f"{keys.AUDIT_FILTER}.who")
    entity = c2.selectbox(_("Record"), [None, *options.entities],
                          format_func=lambda e: _("Any") if e is None else e,
                          accept_new_options=True, key=f"{keys.AUDIT_FILTER}.entity")
    entity_id = c3.text_input(_("Record ID"), max_chars=audit_log.TEXT_MAX,
                              key=f"{keys.AUDIT_FILTER}.entity_id",
                              help=_("The record's number, e.g. a customer's or a case's."))
    actions = st.multiselect(_("Action"), options.actions, accept_new_options=True,
                             placeholder=_("All"), key=f"{keys.AUDIT_FILTER}.actions")
    d1, d2 = st.columns(2)
    start = d1.date_input(_("From"), value=None, format="YYYY-MM-DD",
                          key=f"{keys.AUDIT_FILTER}.start")
    end = d2.date_input(_("To"), value=None, format="YYYY-MM-DD",
                        key=f"{keys.AUDIT_FILTER}.end")
    submitted = st.form_submit_button(_("Apply filters"), type="primary",
                                      icon=":material/filter_alt:")

if submitted:
    st.session_state[keys.AUDIT_FILTERS] = audit_log.AuditFilters(
        staff_id=who, entity=entity, entity_id=entity_id or None, actions=tuple(actions),
        start=start, end=end)
filters = replace(st.session_state.get(keys.AUDIT_FILTERS, audit_log.AuditFilters()),
                  personal_data=view == "personal")

# the pages shown so far: [before_id of each]; back to the newest when the filters change
state = st.session_state.get(keys.AUDIT_CURSORS)
if not state or state[0] != filters:
    state = (filters, [None], None)
cursors = state[1]
try:
    page = audit_log.entries(runtime.uow(), actor, filters, before_id=cursors[-1],
                             limit=audit_log.PAGE_SIZE)
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()
st.session_state[keys.AUDIT_CURSORS] = (filters, cursors, page.older)

if not page.rows:
    st.info(_("No entry matches these filters."))
else:
    frame = pd.DataFrame({
        _("Entry"): [r.id for r in page.rows],
        _("When"): [local(r.at) for r in page.rows],
        _("Who"): [r.staff or _("System") for r in page.rows],
        _("Action"): [r.action for r in page.rows],
        _("Record"): [r.entity for r in page.rows],
        _("Record ID"): [r.entity_id for r in page.rows],
    })
    st.caption(_("Page {page}, newest first. Select an entry to see its values before and "
                 "after.").format(page=len(cursors)))
    picked = st.dataframe(
        frame, hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key=f"{keys.AUDIT_TABLE}.{len(cursors)}",
        column_config={_("Entry"): st.column_config.NumberColumn(format="%d"),
                       _("When"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    n1, n2, _rest = st.columns([1, 1, 4])
    n1.button(_("Newer"), icon=":material/chevron_left:", disabled=len(cursors) == 1,
              on_click=newer, key=keys.AUDIT_NEWER, width="stretch")
    n2.button(_("Older"), icon=":material/chevron_right:", disabled=page.older is None,
              on_click=older, key=keys.AUDIT_OLDER, width="stretch")

    selected = picked.selection.rows if picked else []
    if selected:
        row = page.rows[selected[0]]
        st.subheader(_("Entry {id}").format(id=row.id))
        before, after = st.columns(2)
        with before:
            st.markdown("**" + _("Before") + "**")
            st.code(audit_log.pretty(row.old) or "—", language="json")
        with after:
            st.markdown("**" + _("After") + "**")
            st.code(audit_log.pretty(row.new) or "—", language="json")


def maker(fmt: str):
    """The filtered log as a file, made when its button is pressed (and recorded then).
    The click is served outside a script run, so the login is checked again there."""
    uow, key = runtime.uow(), st.session_state.get(keys.SESSION_KEY)

    def make() -> bytes:
        current = auth.resume_session(uow, key)
        if current is None:
            raise NotLoggedIn()
        return audit_log.download(uow, current, filters, fmt).data
    return make


st.divider()
st.caption(_("Download every entry these filters match (at most {limit}).").format(
    limit=f"{audit_log.DOWNLOAD_MAX:,}"))
columns = st.columns([1, 1, 3])
for column, fmt in zip(columns, data_exports.FORMATS):
    column.download_button(_(BUTTONS[fmt]), data=maker(fmt),
                           file_name=data_exports.file_name("audit", fmt),
                           mime=data_exports.MIME[fmt], icon=ICONS[fmt], on_click="ignore",
                           key=f"{keys.AUDIT_DOWNLOAD}.{fmt}", width="stretch")
