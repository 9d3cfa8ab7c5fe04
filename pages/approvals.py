"""After-sales approval: requests outside policy and refunds above the threshold, service
jobs to schedule, and service reports to review. Four-eyes is the service's rule: a request's
creator or preparer is refused whatever this page shows."""
from datetime import datetime, time

import streamlit as st

from core import aftersales
from core.labels import AFTERSALES_KIND, REPORT_REVIEW, SERVICE_MODE
from core.vocabulary import ServiceMode
from ui import aftersales_view, runtime
from ui.actions import run as act
from ui.fmt import label, md, money, stored, when

_ = runtime.gettext()
actor = runtime.require_actor()
st.title(_("After-sales approval"))

selected = st.query_params.get("request")
if selected:
    if st.button(_("Back"), icon=":material/arrow_back:"):
        del st.query_params["request"]
        st.rerun()
    aftersales_view.show(selected)   # core reads the id (or says it is none)
    st.stop()

waiting, jobs, reports = st.tabs([_("Waiting for approval"), _("Jobs to schedule"),
                                  _("Reports to review")])
with waiting:
    queue = aftersales.approval_queue(runtime.uow(), actor)
    if not queue:
        st.info(_("Nothing waits for approval."))
    for r in queue:
        with st.expander(f"#{r.id} · {label(_, AFTERSALES_KIND, r.kind)} · {md(r.customer_name)} "
                         f"· {md(r.product)}" + (f" · {money(r.refund_cents)}" if r.refund_cents
                                               else "")):
            st.caption(_("Filed by {name} on {when}").format(name=md(r.created_by or "—"),
                                                            when=when(r.created_at)))
            if st.button(_("Open request"), key=f"approvals.open.{r.id}"):
                st.query_params["request"] = str(r.id)
                st.rerun()
            aftersales_view.decision_form(r.id, r.can_decide, "queue")

with jobs:
    technicians = dict(aftersales.technicians(runtime.uow(), actor))
    for job in aftersales.jobs_to_assign(runtime.uow(), actor):
        with st.expander(f"#{job.id} · {md(job.customer_name)} · {md(job.product)}"):
            st.text(job.request_reason)
            with st.form(f"assign.{job.id}"):
                choices = list(technicians)
                default = job.technician_id or job.suggested_technician_id
                tech = st.selectbox(_("Technician (suggested by skill and workload)"), choices,
                                    index=choices.index(default) if default in choices else 0,
                                    format_func=lambda t: technicians[t])
                mode = st.selectbox(_("How"), list(ServiceMode),
                                    format_func=lambda v: label(_, SERVICE_MODE, v))
                day = st.date_input(_("Date"))
                if st.form_submit_button(_("Schedule")):
                    if act(aftersales.assign_job, job.id, tech, mode,
                                           stored(datetime.combine(day, time(9))), job.version):
                        st.rerun()

with reports:
    for report in aftersales.reports_to_review(runtime.uow(), actor):
        with st.expander(f"#{report.id} · {md(report.customer_name)} · {md(report.product)} · "
                         f"{label(_, REPORT_REVIEW, report.review)}"):
            st.text(report.work_done)
            st.caption(_("Parts: {parts} · labour {minutes} min · material {material} · "
                         "transport {transport}").format(
                parts=md(report.parts_used or "—"), minutes=report.labour_minutes,
                material=money(report.material_cost_cents),
                transport=money(report.transport_cost_cents)))
            if report.review.value == "accepted":
                if st.button(_("Archive"), key=f"archive.{report.id}"):
                    if act(aftersales.archive_report, report.id):
                        st.rerun()
                continue
            with st.form(f"review.{report.id}"):
                note = st.text_input(_("Review note"), max_chars=2000)
                accept, back = st.columns(2)
                if accept.form_submit_button(_("Accept"), type="primary"):
                    if act(aftersales.review_report, report.id, True, note):
                        st.rerun()
                if back.form_submit_button(_("Return to the technician")):
                    if act(aftersales.review_report, report.id, False, note):
                        st.rerun()
