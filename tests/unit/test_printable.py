"""Printable documents: the shop's local time, and no markup from anybody's text."""
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from core.i18n import translator
from core.printable import service_report


def test_service_report_is_escaped_and_in_local_time():
    job = SimpleNamespace(technician="<b>Tech</b>", started_at=datetime(2026, 11, 25, 1, 0),
                          finished_at=None, qc_checks="ok")
    view = SimpleNamespace(id=7, customer_name="<script>x()</script>", order_number="SO1",
                           product="Kettle", reason="leaks", job=job, report=None)
    html = service_report(view, translator("en"), "en", ZoneInfo("Asia/Shanghai"))
    assert "<script>x()" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "&lt;b&gt;Tech&lt;/b&gt;" in html
    assert "2026-11-25 09:00" in html  # 01:00 UTC is 09:00 in Shanghai
