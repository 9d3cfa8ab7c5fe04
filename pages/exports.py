"""Exports: customers, orders with their lines, or cases, filtered, as CSV or Excel
(core.data_exports). The filters sit in a form; "Show preview" counts the rows and shows the
first ones exactly as the file will hold them; the files are made when a download button is
pressed, and each one is recorded in the audit log. Personal data only for the roles that
may see it; everyone else gets it masked."""
from datetime import date

import streamlit as st

from core import auth
from core import data_exports as dx
from core.errors import DomainError, NotLoggedIn
from core.i18n import N_
from core.labels import CATEGORY, CHANNEL, KIND, ORDER_STATE, STATUS, TIER
from ui import keys, runtime
from ui.fmt import error_md, label

_ = runtime.gettext()
actor = runtime.require_actor()

TTL = 300
ICONS = {"csv": ":material/download:", "xlsx": ":material/table_view:"}
BUTTONS = {"csv": N_("Download CSV"), "xlsx": N_("Download Excel")}


@st.cache_data(ttl=TTL, show_spinner=False)
def load_options(staff_id: int, roles: tuple[str, ...]) -> dx.ExportOptions:
    # cached per person and roles (a role taken away is not served from the cache)
    return dx.options(runtime.uow(), runtime.require_actor())


def pick(name: str, label_text: str, values: list, fmt=str, **kw) -> tuple:
    return tuple(st.multiselect(label_text, values, format_func=fmt,
                                key=f"{keys.EXPORTS_FILTER}.{kind}.{name}",
                                placeholder=_("All"), **kw))


st.title(_("Exports"))
st.caption(_("Customers, orders with their lines or cases, filtered, as a CSV or Excel file. "
             "Every file is recorded in the audit log."))

try:
    options = load_options(actor.staff_id, tuple(sorted(actor.roles)))
except DomainError as e:
    st.error(error_md(e, _))
    st.stop()

kind = st.selectbox(_("What to export"), dx.KINDS, format_func=lambda k: _(dx.KIND_LABELS[k]),
                    key=keys.EXPORTS_KIND)
stores = dict(options.stores)
owners = dict(options.owners)

with st.form(f"{keys.EXPORTS_FORM}.{kind}"):
    period = {"customers": _("Customers created"), "orders": _("Orders placed"),
              "cases": _("Cases created")}[kind]
    st.markdown("**" + period + "**")
    c1, c2 = st.columns(2)
    start: date | None = c1.date_input(_("From"), value=None, format="YYYY-MM-DD",
                                       key=f"{keys.EXPORTS_FILTER}.{kind}.start")
    end: date | None = c2.date_input(_("To"), value=None, format="YYYY-MM-DD",
                                     key=f"{keys.EXPORTS_FILTER}.{kind}.end")
    chosen: dict = {}
    if kind == "customers":
        chosen["tiers"] = pick("tiers", _("Customer tier"), options.tiers,
                               lambda v: label(_, TIER, v))
        chosen["cities"] = pick("cities", _("City"), options.cities,
                                accept_new_options=True)
    elif kind == "orders":
        chosen["states"] = pick("states", _("Order state"), options.states,
                                lambda v: label(_, ORDER_STATE, v))
        chosen["store_ids"] = pick("stores", _("Store"), list(stores), stores.get)
        chosen["channels"] = pick("channels", _("Channel"), options.channels,
                                  lambda v: label(_, CHANNEL, v))
    else:
        a, b = st.columns(2)
        with a:
            chosen["statuses"] = pick("statuses", _("Status"), options.statuses,
                                      lambda v: label(_, STATUS, v))
            chosen["kinds"] = pick("kinds", _("Kind"), options.kinds,
                                   lambda v: label(_, KIND, v))
            chosen["owner_ids"] = pick("owners", _("Owner"), list(owners), owners.get)
        with b:
            chosen["channels"] = pick("channels", _("Channel"), options.channels,
                                      lambda v: label(_, CHANNEL, v))
            chosen["categories"] = pick("categories", _("Category"), options.categories,
                                        lambda v: label(_, CATEGORY, v))
    submitted = st.form_submit_button(_("Show preview"), type="primary",
                                      icon=":material/preview:")

if submitted:
    filters = dx.ExportFilters(start=start, end=end, **chosen)
    try:
        shown = dx.preview(runtime.uow(), actor, kind, filters)
    except DomainError as e:
        st.session_state.pop(keys.EXPORTS_RESULT, None)
        st.error(error_md(e, _))
        st.stop()
    # kept for the reruns a download causes: the preview is read (and audited) once
    st.session_state[keys.EXPORTS_RESULT] = (kind, filters, shown)

result = st.session_state.get(keys.EXPORTS_RESULT)
if not result or result[0] != kind:
    st.info(_("Choose the filters, then press Show preview."), icon=":material/filter_alt:")
    st.stop()

_kind, filters, shown = result
if shown.personal_data:
    st.warning(_("This file holds customers' personal data. Keep it on a protected drive, "
                 "share it with nobody who does not need it, and delete it when the work is "
                 "done."), icon=":material/shield_person:")
else:
    st.info(_("Names, phone numbers, e-mail and postal addresses are masked and the agents' "
              "notes on cases are left out: your roles do not include customers' personal "
              "data."), icon=":material/visibility_off:")

if shown.total == 0:
    st.info(_("Nothing matches these filters."))
    st.stop()
if shown.total > len(shown.frame):
    st.caption(_("Rows that match: {total}. Shown here: the first {shown}.").format(
        total=f"{shown.total:,}", shown=len(shown.frame)))
else:
    st.caption(_("Rows that match: {total}.").format(total=f"{shown.total:,}"))
st.dataframe(shown.frame, hide_index=True, width="stretch", key=keys.EXPORTS_PREVIEW)

if shown.too_many:
    st.error(_("That is more than {limit} rows, too many for one file. Narrow the filters, "
               "for example to a shorter period, and export the parts one by one.").format(
        limit=f"{shown.limit:,}"))
    st.stop()


def maker(fmt: str):
    """The file, made when its button is pressed (and audited then), not on every rerun.
    The click is served outside a script run, so the login is checked again there: a
    session ended or a role taken away since the page was drawn gets no file."""
    uow, key = runtime.uow(), st.session_state.get(keys.SESSION_KEY)

    def make() -> bytes:
        current = auth.resume_session(uow, key)
        if current is None:
            raise NotLoggedIn()
        return dx.export(uow, current, kind, filters, fmt).data
    return make


columns = st.columns([1, 1, 3])
for column, fmt in zip(columns, dx.FORMATS):
    column.download_button(_(BUTTONS[fmt]), data=maker(fmt), file_name=dx.file_name(kind, fmt),
                           mime=dx.MIME[fmt], icon=ICONS[fmt], on_click="ignore",
                           key=f"{keys.EXPORTS_DOWNLOAD}.{fmt}", width="stretch")
st.caption(_("Text a spreadsheet would read as a formula (starting with = + - or @) is "
             "written with a leading apostrophe, so opening the file runs nothing."))
