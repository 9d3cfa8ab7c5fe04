"""Administration -> Imports: customers, products, orders with lines or staff from a CSV or
Excel file. The preview (column mapping, every bad row with its reason, the counts) comes
before anything is written; the Import button stays disabled while any row is bad; the
import itself is all or nothing, with a progress bar (core.imports)."""
from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core import import_files, imports
from core.actor import Actor
from core.errors import DomainError
from core.exports import csv_bytes
from core.i18n import N_
from core.permissions import Action, allowed
from ui import keys, runtime
from ui.fmt import error_md, md

MAX_UPLOAD_MB = import_files.MAX_MB      # core refuses larger files too (any caller)
NOT_IMPORTED = ""           # the mapping editor's "no column" choice
CSV_MIME = "text/csv"

# what a file of each kind looks like, for the admin choosing it
HINTS = {
    imports.ImportKind.CUSTOMERS: N_(
        "One customer per row: name, and a phone number or an e-mail address; optionally "
        "tier, marketing consent, language, address, city. A customer already known by the "
        "phone number (else the e-mail address) is updated, not added again."),
    imports.ImportKind.PRODUCTS: N_(
        "One product per row: SKU, name, category and price in yuan; optionally Chinese "
        "name, model, warranty months, return and exchange windows in days, specifications, "
        "in stock, active. A known SKU is updated."),
    imports.ImportKind.ORDERS: N_(
        "One order line per row, the order's fields repeated on each of its lines: order "
        "number, the customer's phone or e-mail, order date, SKU and quantity; optionally "
        "channel, state, store, delivery address, carrier, tracking number, unit price and "
        "amount paid. Customers and products must exist already."),
    imports.ImportKind.STAFF: N_(
        "One person per row: username, name and roles; optionally e-mail, language and "
        "skills. New accounts cannot log in until you set a password for them on the Staff "
        "tab. Roles of existing accounts are not changed by an import."),
}


def render(actor: Actor) -> None:
    _ = runtime.gettext()
    if not allowed(actor.roles, Action.DATA_IMPORT):
        return
    _last_result()
    st.caption(_("Bring records in from a CSV or Excel (.xlsx, first sheet) file whose first "
                 "row names the columns. Nothing is written until the check below finds no "
                 "bad row and you press Import; then the whole file is imported, or nothing. "
                 "Importing the same file again adds nothing twice."))
    kinds = [k for k in imports.ImportKind
             if k != imports.ImportKind.STAFF or allowed(actor.roles, Action.STAFF_MANAGE)]
    kind = st.selectbox(_("What the file holds"), kinds, key=keys.IMPORT_KIND,
                        format_func=lambda k: _(imports.KIND_LABEL[k]))
    st.caption(_(HINTS[kind]))
    uploads = st.session_state.get(keys.IMPORT_UPLOADS, 0)
    upload = st.file_uploader(_("File"), type=["csv", "xlsx"], max_upload_size=MAX_UPLOAD_MB,
                              key=f"{keys.IMPORT_FILE}.{kind.value}.{uploads}")
    if upload is None:
        return
    data = upload.getvalue()
    file_id = hashlib.sha256(data).hexdigest()[:16]
    chosen = _chosen_mapping(kind, file_id)
    report, error = _preview(actor, kind, upload.name, data, file_id, chosen)
    if error is not None:
        st.error(error)
    headers = report.headers if report else _known_headers(file_id)
    if headers is not None:
        _mapping_editor(kind, file_id, headers, report)
    if report is None:
        return
    _summary(report)
    _problems(report, file_id)
    clicked = st.button(_("Import"), type="primary", disabled=not report.ok,
                        key=f"{keys.IMPORT_APPLY}.{file_id}", icon=":material/upload:")
    if clicked:
        _apply(actor, kind, upload.name, data, file_id, report)


# --- the column mapping -------------------------------------------------------------------------

def _mapping_key(kind: imports.ImportKind, file_id: str, field: str) -> str:
    return f"{keys.IMPORT_MAPPING}.{kind.value}.{file_id}.{field}"


def _chosen_mapping(kind: imports.ImportKind, file_id: str) -> dict[str, str | None] | None:
    """The admin's choices in the mapping editor (None before it was first drawn)."""
    chosen = {}
    for field, _label, _mark in imports.fields_of(kind):
        key = _mapping_key(kind, file_id, field)
        if key in st.session_state:
            chosen[field] = st.session_state[key] or None
    return chosen or None


def _known_headers(file_id: str) -> list[str] | None:
    known = st.session_state.get(keys.IMPORT_HEADERS)
    return known[1] if known and known[0] == file_id else None


def _mapping_editor(kind: imports.ImportKind, file_id: str, headers: list[str],
                    report: imports.ImportReport | None) -> None:
    _ = runtime.gettext()
    options = [NOT_IMPORTED] + [h for h in headers if h]
    mapping = report.mapping if report else {}
    with st.expander(_("Column mapping"), expanded=bool(report is None or report.missing)):
        st.caption(_("Which column of the file holds each field. Change a choice if a "
                     "column was not recognised. Fields marked * are required; of those "
                     "marked +, at least one."))
        columns = st.columns(3)
        for i, (field, label, mark) in enumerate(imports.fields_of(kind)):
            current = mapping.get(field, NOT_IMPORTED)
            columns[i % 3].selectbox(
                _(label) + {"required": " *", "one_of": " +"}.get(mark, ""), options,
                index=options.index(current) if current in options else 0,
                format_func=lambda h: _("(not imported)") if h == NOT_IMPORTED else h,
                key=_mapping_key(kind, file_id, field))
        if report is not None:
            unused = [h for h in headers if h and h not in report.mapping.values()]
            if unused:
                st.caption(_("Columns that are not imported: {columns}").format(
                    columns=md(", ".join(unused))))


# --- the preview --------------------------------------------------------------------------------

def _preview(actor: Actor, kind: imports.ImportKind, name: str, data: bytes, file_id: str,
             chosen: dict[str, str | None] | None):
    """(report, None) or (None, the error's text). The last preview is kept in the session,
    so that other widgets of the page do not check the whole file again."""
    _ = runtime.gettext()
    base = (kind.value, file_id, name)
    wanted = None if chosen is None else tuple(sorted((f, c) for f, c in chosen.items() if c))
    kept = st.session_state.get(keys.IMPORT_PREVIEW)
    if kept is not None and kept[0] == base and wanted in (None, kept[1]):
        return kept[2], None
    bar = st.progress(0.0, text=_("Reading the file"))
    try:
        report = imports.preview_import(
            runtime.uow(), actor, kind, data, name, chosen,
            progress=lambda fraction, message: bar.progress(min(fraction, 1.0),
                                                            text=_(message)))
    except DomainError as e:
        return None, error_md(e, _)
    finally:
        bar.empty()
    st.session_state[keys.IMPORT_PREVIEW] = (base, tuple(sorted(report.mapping.items())),
                                             report)
    st.session_state[keys.IMPORT_HEADERS] = (file_id, report.headers)
    return report, None


def _summary(report: imports.ImportReport) -> None:
    _ = runtime.gettext()
    if report.missing:
        st.warning(_("Choose a column of the file for: {fields}. Without them nothing can be "
                     "imported.").format(fields=", ".join(imports.render_missing(report, _))))
        return
    figures = [(_("Rows in the file"), report.rows), (_("New"), report.new),
               (_("Updated"), report.updated), (_("Unchanged"), report.unchanged),
               (_("Bad rows"), len(report.bad_rows))]
    if report.kind == imports.ImportKind.ORDERS:
        figures.insert(4, (_("New order lines"), report.lines))
    for column, (title, value) in zip(st.columns(len(figures)), figures):
        column.metric(title, f"{value:,}")
    encoding = {"xlsx": "Excel", "utf-8": "UTF-8", "utf-8-sig": "UTF-8",
                "gb18030": "GBK / GB18030", "utf-16": "UTF-16"}.get(report.encoding,
                                                                    report.encoding)
    st.caption(_("Read as {encoding}.").format(encoding=encoding)
               + (" " + _("New, updated and unchanged count orders, not their lines.")
                  if report.kind == imports.ImportKind.ORDERS else ""))


def _problems(report: imports.ImportReport, file_id: str) -> None:
    _ = runtime.gettext()
    if not report.problems:
        if report.ok:
            st.success(_("Every row can be imported."))
        return
    st.error(_("Rows that cannot be imported: {count}. Correct them in the file and upload "
               "it again: nothing is written while any row is bad.").format(
        count=len(report.bad_rows)))
    table = pd.DataFrame({
        _("Row"): [p.row for p in report.problems],
        _("Column"): [p.column or "" for p in report.problems],
        _("Reason"): [p.render(_) for p in report.problems],
    })
    st.dataframe(table, hide_index=True, width="stretch",
                 height=min(38 + 35 * len(table), 420),
                 column_config={_("Row"): st.column_config.NumberColumn(width="small"),
                                _("Column"): st.column_config.TextColumn(width="small"),
                                _("Reason"): st.column_config.TextColumn(width="large")})
    st.download_button(_("Download the bad rows (CSV)"), csv_bytes(table),
                       file_name="caredesk-import-bad-rows.csv", mime=CSV_MIME,
                       icon=":material/download:", on_click="ignore",
                       key=f"{keys.IMPORT_DOWNLOAD}.{file_id}")


# --- the import ---------------------------------------------------------------------------------

def _apply(actor: Actor, kind: imports.ImportKind, name: str, data: bytes, file_id: str,
           report: imports.ImportReport) -> None:
    _ = runtime.gettext()
    bar = st.progress(0.0, text=_("Reading the file"))
    try:
        done = imports.apply_import(
            runtime.uow(), actor, kind, data, name, report.mapping,
            progress=lambda fraction, message: bar.progress(min(fraction, 1.0),
                                                            text=_(message)))
    except imports.ImportRefused as refused:
        # the data changed since the preview: show what is wrong now
        bar.empty()
        kept = st.session_state.get(keys.IMPORT_PREVIEW)
        if kept is not None:
            st.session_state[keys.IMPORT_PREVIEW] = (kept[0], kept[1], refused.report)
        st.error(error_md(refused, _))
        _problems(refused.report, file_id + ".refused")
        return
    except DomainError as e:
        bar.empty()
        st.error(error_md(e, _))
        return
    st.cache_data.clear()
    # shown at the top of this tab on the next run (a flash above the tabs would move them and
    # bring the first tab back to the front)
    st.session_state[keys.IMPORT_RESULT] = (name, done.new, done.updated, done.unchanged,
                                            done.lines if done.kind == imports.ImportKind.ORDERS
                                            else None)
    # an empty uploader for the next file; the preview and the mapping go with the old one
    st.session_state[keys.IMPORT_UPLOADS] = st.session_state.get(keys.IMPORT_UPLOADS, 0) + 1
    st.session_state.pop(keys.IMPORT_PREVIEW, None)
    st.session_state.pop(keys.IMPORT_HEADERS, None)
    st.rerun()


def _last_result() -> None:
    _ = runtime.gettext()
    result = st.session_state.pop(keys.IMPORT_RESULT, None)
    if result is None:
        return
    name, new, updated, unchanged, lines = result
    text = _("Imported {file}: {new} new, {updated} updated, {unchanged} unchanged.").format(
        file=md(name), new=new, updated=updated, unchanged=unchanged)
    if lines is not None:
        text += " " + _("{lines} order lines added.").format(lines=lines)
    st.success(text)
