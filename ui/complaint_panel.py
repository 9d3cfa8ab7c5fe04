"""A complaint's handling, shown on its case: promise, investigations, reply, evaluation,
compensation, root cause, closing."""
from __future__ import annotations

import streamlit as st

from core import complaints, printable
from core.errors import DomainError
from core.labels import COMPENSATION_KIND, DECISION, DEPARTMENT, ROOT_CAUSE, SEVERITY, SLA
from core.vocabulary import CompensationKind, ComplaintSeverity, Department, RootCause
from ui import runtime
from ui.actions import run as act
from ui.fmt import error_md, label, money, shop_tz, when


def show(case_id: int) -> None:
    _ = runtime.gettext()
    actor = runtime.require_actor()
    try:
        view = complaints.complaint_view(runtime.uow(), actor, case_id=case_id)
    except DomainError as e:
        st.error(error_md(e, _))
        return
    c = st.columns(3)
    c[0].metric(_("Severity"), label(_, SEVERITY, view.severity))
    c[1].metric(_("Promised reply"), when(view.promised_reply_at))
    c[2].metric(_("Promise"), label(_, SLA, view.promise_state))
    if view.missing_to_close:
        st.caption(_("Still needed to close: {missing}").format(
            missing=", ".join(_(m) for m in view.missing_to_close)))
    st.download_button(_("Printable complaint summary"),
                       printable.complaint_summary(view, _, runtime.language(), shop_tz()),
                       file_name=f"complaint-{view.case_id}.html", mime="text/html")

    st.markdown("##### " + _("Investigation"))
    for inv in view.investigations:
        st.caption(f"{label(_, DEPARTMENT, inv.department)} · {when(inv.requested_at)}"
                   + (" · " + _("overdue") if inv.overdue else ""))
        st.text(inv.question)
        if inv.answer:
            st.text(f"→ {inv.answer} ({inv.answered_by})")
        else:
            with st.form(f"answer.{inv.id}", clear_on_submit=True):
                answer = st.text_area(_("The department's answer"), max_chars=4000)
                who = st.text_input(_("Answered by"), max_chars=120)
                if st.form_submit_button(_("Record answer")):
                    if act(complaints.record_department_answer, inv.id, answer, who):
                        st.rerun()
    with st.form(f"ask.{view.id}", clear_on_submit=True):
        department = st.selectbox(_("Ask a department"), list(Department),
                                  format_func=lambda v: label(_, DEPARTMENT, v))
        question = st.text_area(_("Question"), max_chars=4000)
        if st.form_submit_button(_("Send question")):
            if act(complaints.ask_department, view.id, department, question):
                st.rerun()

    st.markdown("##### " + _("Reply and evaluation"))
    if view.replied_at:
        st.caption(_("Replied {when}").format(when=when(view.replied_at)))
        st.text(view.result or "")
    with st.form(f"reply.{view.id}", clear_on_submit=True):
        method = st.radio(_("How"), ["written", "phone"], horizontal=True,
                          format_func=lambda m: _(complaints.REPLY_METHOD[m]))
        result = st.text_area(_("The result told to the customer"), max_chars=10_000)
        if st.form_submit_button(_("Record reply")):
            if act(complaints.reply_to_customer, view.id, method, result):
                st.rerun()
    if view.replied_at:
        with st.form(f"evaluation.{view.id}", clear_on_submit=True):
            satisfied = st.radio(_("Was the customer satisfied with the handling?"),
                                 [True, False], horizontal=True,
                                 format_func=lambda v: _("Yes") if v else _("No"))
            comment = st.text_input(_("Why"), max_chars=2000)
            if st.form_submit_button(_("Record evaluation")):
                if act(complaints.record_evaluation, view.id, satisfied, comment or None):
                    st.rerun()

    st.markdown("##### " + _("Compensation"))
    for comp in view.compensations:
        st.text(f"{label(_, COMPENSATION_KIND, comp.kind)} {money(comp.amount_cents)} · "
                f"{label(_, DECISION, comp.status)} · {comp.description}")
        if comp.can_decide:
            compensation_decision(comp.id)
    with st.form(f"propose.{view.id}", clear_on_submit=True):
        kind = st.selectbox(_("Kind"), list(CompensationKind),
                            format_func=lambda v: label(_, COMPENSATION_KIND, v))
        amount = st.number_input(_("Amount (¥)"), 0.0, 1_000_000.0, 0.0)
        description = st.text_input(_("Description"), max_chars=2000)
        if st.form_submit_button(_("Propose compensation")):
            if act(complaints.propose_compensation, view.id, kind, round(amount * 100),
                   description):
                st.rerun()

    st.markdown("##### " + _("Root cause and closing"))
    with st.form(f"cause.{view.id}"):
        causes = list(RootCause)
        cause = st.selectbox(_("Root cause"), causes,
                             index=causes.index(view.root_cause) if view.root_cause else 0,
                             format_func=lambda v: label(_, ROOT_CAUSE, v))
        departments = [None, *Department]
        department = st.selectbox(_("Responsible department"), departments,
                                  index=departments.index(view.responsible_department),
                                  format_func=lambda v: "—" if v is None
                                  else label(_, DEPARTMENT, v))
        if st.form_submit_button(_("Save root cause")):
            if act(complaints.set_root_cause, view.id, cause, department):
                st.rerun()
    if st.button(_("Close complaint"), disabled=not view.can_close, key=f"close.{view.id}"):
        if act(complaints.close_complaint, view.id):
            st.rerun()
    with st.form(f"severity.{view.id}"):
        severity = st.selectbox(_("Severity"), list(ComplaintSeverity),
                                index=list(ComplaintSeverity).index(view.severity),
                                format_func=lambda v: label(_, SEVERITY, v))
        if st.form_submit_button(_("Change severity")):
            if act(complaints.set_severity, view.id, severity, view.version):
                st.rerun()


def compensation_decision(compensation_id: int) -> None:
    _ = runtime.gettext()
    with st.form(f"signoff.{compensation_id}"):
        note = st.text_input(_("Note (required to reject)"), max_chars=2000)
        approve, reject = st.columns(2)
        if approve.form_submit_button(_("Sign off"), type="primary"):
            if act(complaints.decide_compensation, compensation_id, True, note or None):
                st.rerun()
        if reject.form_submit_button(_("Reject")):
            if act(complaints.decide_compensation, compensation_id, False, note or None):
                st.rerun()
