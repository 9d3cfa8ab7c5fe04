"""Complaint review: what is escalated, what is close to or past its promised reply, and the
compensation waiting for a supervisor's sign-off."""
import streamlit as st

from core import cases, complaints
from core.labels import COMPENSATION_KIND, SEVERITY, SLA
from ui import complaint_panel, runtime
from ui.actions import run as act
from ui.fmt import label, md, money, when

_ = runtime.gettext()
actor = runtime.require_actor()
st.title(_("Complaint review"))

queue = complaints.review_queue(runtime.uow(), actor)
people = dict(cases.assignable_staff(runtime.uow(), actor))


def rows(items, key: str) -> None:
    if not items:
        st.info(_("Nothing here."))
    for row in items:
        with st.expander(f"#{row.case_id} · {md(row.subject)} · {md(row.customer_name)} · "
                         f"{label(_, SEVERITY, row.severity)} · "
                         f"{label(_, SLA, row.promise_state)} · {when(row.promised_reply_at)}"):
            st.page_link("pages/cases.py", label=_("Open the case"),
                         query_params={"case": str(row.case_id)})
            with st.form(f"{key}.reassign.{row.complaint_id}"):
                owners = list(people)
                owner = st.selectbox(_("Owner"), owners,
                                     index=owners.index(row.owner_id)
                                     if row.owner_id in owners else 0,
                                     format_func=lambda v: people[v])
                if st.form_submit_button(_("Reassign")):
                    if act(complaints.reassign_complaint, row.complaint_id, owner):
                        st.rerun()


escalated, due, signoff = st.tabs([
    _("Escalated ({n})").format(n=len(queue.escalated)),
    _("Promised reply due ({n})").format(n=len(queue.due)),
    _("Waiting for sign-off ({n})").format(n=len(queue.awaiting_signoff))])
with escalated:
    rows(queue.escalated, "escalated")
with due:
    rows(queue.due, "due")
with signoff:
    if not queue.awaiting_signoff:
        st.info(_("Nothing here."))
    for item in queue.awaiting_signoff:
        with st.expander(f"#{item.case_id} · {md(item.subject)} · "
                         f"{label(_, COMPENSATION_KIND, item.kind)} {money(item.amount_cents)}"):
            st.text(item.description)
            st.caption(_("Proposed by {name} on {when}").format(name=md(item.proposed_by or "—"),
                                                               when=when(item.proposed_at)))
            if item.can_decide:
                complaint_panel.compensation_decision(item.compensation_id)
            else:
                st.caption(_("You proposed it: another supervisor signs it off."))
