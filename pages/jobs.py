"""My jobs: a technician's repairs and replacements — start, quality check, service report."""
import streamlit as st

from core import aftersales
from core.labels import JOB_STATUS, REPORT_REVIEW, SERVICE_MODE
from ui import runtime
from ui.actions import run as act
from ui.fmt import label, md, when

_ = runtime.gettext()
actor = runtime.require_actor()
st.title(_("My jobs"))

jobs = aftersales.my_jobs(runtime.uow(), actor)
if not jobs:
    st.info(_("No job is waiting for you."))
for job in jobs:
    with st.expander(f"#{job.id} · {md(job.customer_name)} · {md(job.product)} · "
                     f"{label(_, JOB_STATUS, job.status)}", expanded=len(jobs) == 1):
        st.text(job.request_reason)
        st.caption(f"{label(_, SERVICE_MODE, job.mode)} · {when(job.scheduled_for)}")
        if job.address:
            st.text(job.address)
        status = job.status.value
        if status in ("assigned", "scheduled"):
            if st.button(_("Start work"), key=f"start.{job.id}", type="primary"):
                if act(aftersales.start_job, job.id):
                    st.rerun()
        if status == "in_progress":
            if job.qc_passed is False:
                st.warning(_("The last quality check failed: work on it again."))
            with st.form(f"qc.{job.id}", clear_on_submit=True):
                checks = st.text_area(_("What was checked"), max_chars=5000)
                passed, failed = st.columns(2)
                if passed.form_submit_button(_("Quality check passed"), type="primary"):
                    if act(aftersales.record_quality_check, job.id, True, checks):
                        st.rerun()
                if failed.form_submit_button(_("Quality check failed")):
                    if act(aftersales.record_quality_check, job.id, False, checks):
                        st.rerun()
        if status == "quality_check" or (job.report_review is not None
                                         and job.report_review.value == "returned"):
            if job.report_note:
                st.warning(_("Returned by the supervisor: {note}").format(note=md(job.report_note)))
            with st.form(f"report.{job.id}"):
                work = st.text_area(_("Work done"), max_chars=10_000)
                parts = st.text_input(_("Parts used"), max_chars=5000)
                c1, c2, c3 = st.columns(3)
                minutes = c1.number_input(_("Labour (minutes)"), 0, 100_000, 0)
                material = c2.number_input(_("Material cost (¥)"), 0.0, 1_000_000.0, 0.0)
                transport = c3.number_input(_("Transport cost (¥)"), 0.0, 1_000_000.0, 0.0)
                if st.form_submit_button(_("Submit service report"), type="primary"):
                    if act(aftersales.submit_report, job.id, work, parts or None, int(minutes),
                           round(material * 100), round(transport * 100)):
                        st.rerun()
        if job.report_review is not None:
            st.caption(label(_, REPORT_REVIEW, job.report_review))
