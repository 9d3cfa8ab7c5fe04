"""Analytics: the figures of the service desk as charts, each with the table behind it and
its CSV and Excel downloads. Shared filters in the sidebar (ui.analytics_filters); one
section at a time, so only the section on screen reads the database (ui.analytics_data
caches the reads for five minutes; "Refresh data" reads them again). No customer's
personal data is read here: analysts see figures."""
import streamlit as st

from core import analytics
from core.clock import utcnow
from core.errors import DomainError
from ui import analytics_data as data
from ui import analytics_sections as sections
from ui import keys, runtime
from ui.analytics_filters import period_text, sidebar_filters
from ui.fmt import error_md

_ = runtime.gettext()
runtime.require_actor()

st.title(_("Analytics"))
try:
    options = data.options()
    today = analytics.shop_today(runtime.uow(), utcnow())
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

filters = sidebar_filters(options, today, refresh=data.clear)
try:
    filters = analytics.checked(filters)
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

st.caption(_("{period}. The changes under the figures compare with {before}.").format(
    period=period_text(filters), before=period_text(filters.previous())))
section = st.segmented_control(
    _("Section"), list(sections.SECTIONS), default="overview", required=True,
    format_func=lambda s: _(sections.SECTIONS[s]), key=keys.ANALYTICS_SECTION,
    persist_state="session", label_visibility="collapsed") or "overview"

try:
    if section == "overview":
        sections.overview(filters)
    elif section == "service":
        sections.service_levels(filters)
    elif section == "satisfaction":
        sections.satisfaction(filters)
    elif section == "complaints":
        sections.complaints(filters)
    elif section == "aftersales":
        sections.after_sales(filters)
    elif section == "backlog":
        sections.backlog(filters, today)
    elif section == "agents":
        sections.agents(filters)
    else:
        sections.alerts(filters)
except DomainError as e:
    st.error(error_md(e, _))
