"""Printable documents: the service report and the complaint summary, as HTML that prints
well from any browser. Every value is escaped: customer and staff text is never markup."""
from __future__ import annotations

from collections.abc import Callable
from html import escape
from zoneinfo import ZoneInfo

from core.formats import money as _money, stamp
from core.labels import COMPENSATION_KIND, DECISION, DEPARTMENT, ROOT_CAUSE, SEVERITY

STYLE = """body{font-family:'Noto Sans CJK SC','Noto Sans',Arial,sans-serif;margin:2cm;color:#111}
h1{font-size:20pt;margin:0 0 .2cm}table{border-collapse:collapse;width:100%;margin:.4cm 0}
th,td{border:1px solid #999;padding:4pt 6pt;text-align:left;vertical-align:top}
th{width:32%;background:#f2f2f2}.sign{margin-top:1.5cm;display:flex;gap:3cm}
@media print{body{margin:1cm}}"""


def _document(title: str, subtitle: str, rows: list[tuple[str, object]], lang: str) -> str:
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v) if v is not None else '—')}"
                    "</td></tr>" for k, v in rows)
    return (f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1><p>{escape(subtitle)}</p><table>{cells}</table>"
            "</body></html>")


def service_report(view, _: Callable[[str], str], lang: str, tz: ZoneInfo) -> str:
    """`view` is core.aftersales.RequestView with its job and report; times in `tz`."""
    def _when(value):
        return stamp(value, tz)
    report, job = view.report, view.job
    rows = [
        (_("Customer"), view.customer_name), (_("Order"), view.order_number),
        (_("Product"), view.product), (_("Reason"), view.reason),
        (_("Technician"), job.technician if job else None),
        (_("Started"), _when(job.started_at) if job else None),
        (_("Finished"), _when(job.finished_at) if job else None),
        (_("Quality check"), (job.qc_checks or "") if job else None),
    ]
    if report:
        rows += [(_("Work done"), report.work_done), (_("Parts used"), report.parts_used),
                 (_("Labour (minutes)"), report.labour_minutes),
                 (_("Material cost"), _money(report.material_cost_cents)),
                 (_("Transport cost"), _money(report.transport_cost_cents)),
                 (_("Reviewed by"), report.reviewed_by),
                 (_("Review note"), report.review_note)]
    return _document(_("Service report"), _("After-sales request {id}").format(id=view.id),
                     rows, lang)


def complaint_summary(view, _: Callable[[str], str], lang: str, tz: ZoneInfo) -> str:
    """`view` is core.complaints.ComplaintView; times in `tz`."""
    def _when(value):
        return stamp(value, tz)
    rows = [
        (_("Customer"), view.customer_name), (_("Subject"), view.subject),
        (_("Severity"), _(SEVERITY[view.severity])),
        (_("Acknowledged"), _when(view.acknowledged_at)),
        (_("Promised reply"), _when(view.promised_reply_at)),
        (_("Replied"), _when(view.replied_at)), (_("Result"), view.result),
        (_("Root cause"), _(ROOT_CAUSE[view.root_cause]) if view.root_cause else None),
        (_("Customer satisfied"), None if view.customer_satisfied is None
         else _("Yes") if view.customer_satisfied else _("No")),
        (_("Customer's comment"), view.evaluation_comment),
    ]
    for i, inv in enumerate(view.investigations, 1):
        rows.append((_("Investigation {n}").format(n=i),
                     f"{_(DEPARTMENT[inv.department])}: {inv.question} → "
                     f"{inv.answer or '—'}"))
    for comp in view.compensations:
        rows.append((_("Compensation"),
                     f"{_(COMPENSATION_KIND[comp.kind])} {_money(comp.amount_cents)} · "
                     f"{_(DECISION[comp.status])} · {comp.description}"))
    return _document(_("Complaint summary"), _("Case {case_id}").format(case_id=view.case_id),
                     rows, lang)

