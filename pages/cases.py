"""Cases: the queue (mine / team / unassigned) and, with ?case=N, one case in full."""
import pandas as pd
import streamlit as st

from core import cases, queue
from core.errors import DomainError
from core.i18n import N_
from core.labels import CATEGORY, CHANNEL, KIND, PRIORITY, SLA, STATUS
from core.vocabulary import CaseKind, CaseStatus, Channel, Priority
from ui import case_detail, runtime
from ui.fmt import error_md, label, local, md

_ = runtime.gettext()
actor = runtime.require_actor()

QUEUE_TTL = 30


@st.cache_data(ttl=QUEUE_TTL, show_spinner=False)
def load_queue(staff_id: int, **filters) -> queue.QueuePage:
    # cached per person and filter set; writes clear it (see ui.case_detail)
    return queue.case_queue(runtime.uow(), runtime.require_actor(), **filters)


def open_case(case_id: int) -> None:
    st.query_params["case"] = str(case_id)


selected = st.query_params.get("case")
if selected:
    if st.button(_("Back to the queue"), icon=":material/arrow_back:"):
        del st.query_params["case"]
        st.rerun()
    try:
        case_detail.show(int(selected))
    except ValueError:
        st.error(_("Case {case_id} does not exist.").format(case_id=md(selected[:20])))
    st.stop()

st.title(_("Cases"))
scopes = {"mine": N_("My cases"), "team": N_("Team"), "unassigned": N_("Unassigned")}
scope = st.segmented_control(_("Queue"), list(scopes), format_func=lambda s: _(scopes[s]),
                             default="mine", key="cases.scope") or "mine"
with st.expander(_("Filters"), expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    statuses = c1.multiselect(_("Status"), list(CaseStatus),
                              format_func=lambda v: label(_, STATUS, v), key="cases.status")
    kind = c2.selectbox(_("Kind"), [None, *CaseKind], key="cases.kind",
                        format_func=lambda v: _("Any") if v is None else label(_, KIND, v))
    channel = c3.selectbox(_("Channel"), [None, *Channel], key="cases.channel",
                           format_func=lambda v: _("Any") if v is None
                           else label(_, CHANNEL, v))
    priority = c4.selectbox(_("Priority"), [None, *Priority], key="cases.priority",
                            format_func=lambda v: _("Any") if v is None
                            else label(_, PRIORITY, v))
    c5, c6, c7 = st.columns([1, 1, 2])
    sla_names = {None: N_("Any"), "breached": N_("Breached"),
                 "at_risk": N_("About to breach")}
    sla_filter = c5.selectbox(_("SLA"), list(sla_names), key="cases.sla",
                              format_func=lambda v: _(sla_names[v]))
    orders = {"urgent": N_("Most urgent first"), "newest": N_("Newest first")}
    order = c6.selectbox(_("Sort"), list(orders), format_func=lambda v: _(orders[v]),
                         key="cases.order")
    owner_id = None
    if scope == "team":
        people = dict(cases.assignable_staff(runtime.uow(), actor))
        owner_id = c7.selectbox(_("Owner"), [None, *people], key="cases.owner",
                                format_func=lambda v: _("Anyone") if v is None else people[v])
text = st.text_input(_("Search subject or case number"), key="cases.text", max_chars=100)
page = st.session_state.get("cases.page", 1)

try:
    result = load_queue(actor.staff_id, scope=scope, statuses=[s.value for s in statuses],
                        kind=kind, channel=channel, priority=priority, sla_filter=sla_filter,
                        owner_id=owner_id, text=text, order=order, page=page)
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

if result.page > result.pages:  # the filters changed under a later page
    st.session_state["cases.page"] = 1
    st.rerun()
st.caption(_("{total} cases · page {page} of {pages}").format(
    total=result.total, page=result.page, pages=result.pages))
if result.rows:
    frame = pd.DataFrame([{
        _("Case"): r.id, _("Subject"): r.subject, _("Customer"): r.customer_name,
        _("Status"): label(_, STATUS, r.status), _("Priority"): label(_, PRIORITY, r.priority),
        _("SLA"): label(_, SLA, r.sla_state), _("Due"): local(r.next_due_at),
        _("Kind"): label(_, KIND, r.kind), _("Channel"): label(_, CHANNEL, r.channel),
        _("Category"): label(_, CATEGORY, r.category), _("Owner"): r.owner_name or "—",
        _("Escalated"): r.escalated, _("Created"): local(r.created_at)} for r in result.rows])
    event = st.dataframe(frame, hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", key="cases.table")
    if event.selection.rows:
        open_case(int(frame.iloc[event.selection.rows[0]][_("Case")]))
        st.rerun()
else:
    st.info(_("No cases here."))

nav1, nav2, nav3 = st.columns([1, 1, 4])
if nav1.button(_("Previous page"), disabled=result.page <= 1):
    st.session_state["cases.page"] = result.page - 1
    st.rerun()
if nav2.button(_("Next page"), disabled=result.page >= result.pages):
    st.session_state["cases.page"] = result.page + 1
    st.rerun()
with nav3.form("open_case_by_number", border=False):
    number = st.number_input(_("Open case number"), min_value=1, step=1, value=None)
    if st.form_submit_button(_("Open case")) and number:
        open_case(int(number))
        st.rerun()
