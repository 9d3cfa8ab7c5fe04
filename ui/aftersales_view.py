"""One after-sales request in full, and what the reader may do with it."""
from __future__ import annotations

import streamlit as st

from core import aftersales, printable
from core.errors import DomainError
from core.labels import (AFTERSALES_KIND, AFTERSALES_STATUS, CONDITION, JOB_STATUS,
                         REFUND_STATUS, REPORT_REVIEW, SERVICE_MODE)
from ui import runtime
from ui.actions import run as act
from ui.fmt import error_md, label, md, money, shop_tz, when


def decision_form(request_id: int, can_decide: bool, key: str) -> None:
    _ = runtime.gettext()
    if not can_decide:
        st.caption(_("You cannot decide this request: you created or prepared it, or it "
                     "is not waiting for approval."))
        return
    with st.form(f"decide.{key}.{request_id}"):
        reason = st.text_area(_("Reason for the decision"), max_chars=2000)
        approve, reject = st.columns(2)
        if approve.form_submit_button(_("Approve"), type="primary"):
            if act(aftersales.decide_request, request_id, True, reason):
                st.rerun()
        if reject.form_submit_button(_("Reject")):
            if act(aftersales.decide_request, request_id, False, reason):
                st.rerun()


def show(request_id: int) -> None:
    _ = runtime.gettext()
    try:
        view = aftersales.request_view(runtime.uow(), runtime.require_actor(), request_id)
    except DomainError as e:
        st.error(error_md(e, _))
        return
    st.subheader(_("Request {id}").format(id=view.id))
    c = st.columns(4)
    c[0].metric(_("Type"), label(_, AFTERSALES_KIND, view.kind))
    c[1].metric(_("Status"), label(_, AFTERSALES_STATUS, view.status))
    c[2].metric(_("Paid"), money(view.paid_cents))
    c[3].metric(_("Refunded so far"), money(view.refunded_cents))
    st.text(f"{view.customer_name} · {view.order_number} · {view.product}")
    st.caption(_("Condition: {condition} · proof of purchase: {proof}").format(
        condition=label(_, CONDITION, view.condition),
        proof=_("Yes") if view.proof_of_purchase else _("No")))
    st.caption(_("Reason"))
    st.text(view.reason)
    if view.notes:
        st.caption(_("Notes"))
        st.text(view.notes)
    box = st.success if view.within_policy else st.warning
    box("\n".join("- " + md(line) for line in aftersales.explain(view, _)) or "—",
        icon=":material/policy:")
    if view.decided_by:
        st.caption(_("Decided by {name} on {when}").format(name=md(view.decided_by),
                                                          when=when(view.decided_at)))
        if view.decision_note:
            st.text(view.decision_note)
    for refund in view.refunds:
        st.text(f"{_('Refund')} {money(refund.amount_cents)} · "
                f"{label(_, REFUND_STATUS, refund.status)}")
    if view.job:
        job = view.job
        st.markdown("##### " + _("Service job"))
        st.text(f"{label(_, JOB_STATUS, job.status)} · {job.technician or _('Unassigned')} · "
                f"{label(_, SERVICE_MODE, job.mode)} · {when(job.scheduled_for)}")
        if job.qc_checks:
            st.caption(_("Quality check: {result}").format(
                result=_("passed") if job.qc_passed else _("failed")))
            st.text(job.qc_checks)
    if view.report:
        st.markdown("##### " + _("Service report"))
        st.text(f"{label(_, REPORT_REVIEW, view.report.review)} · {view.report.work_done}")
        st.download_button(_("Printable service report"),
                           printable.service_report(view, _, runtime.language(), shop_tz()),
                           file_name=f"service-report-{view.id}.html", mime="text/html")
    st.markdown("##### " + _("Timeline"))
    st.dataframe([{_("Time"): when(t.at), _("What"): _(t.label), _("Who"): t.actor or "—"}
                  for t in view.timeline], hide_index=True, width="stretch")

    decision_form(view.id, view.can_decide, "view")
    if view.can_cancel:
        with st.form(f"cancel.{view.id}"):
            reason = st.text_input(_("Why the customer withdrew"), max_chars=2000)
            if st.form_submit_button(_("Cancel request")):
                if act(aftersales.cancel_request, view.id, reason):
                    st.rerun()
