"""Administration -> Policies: SLA targets, business hours and holidays, after-sales windows
and the refund threshold, canned replies and message templates. Each editor previews the
effect of a change before it is saved; the rules and the checks are in core.policies,
core.policy_sla, core.policy_calendar and core.policy_texts."""
from __future__ import annotations

from datetime import time

import streamlit as st
from babel import Locale

from core import policies, policy_calendar, policy_sla, policy_texts
from core.actor import Actor
from core.errors import DomainError
from core.i18n import N_, language_name
from core.labels import CATEGORY, CHANNEL, KIND, PRIORITY
from core.permissions import Action, allowed
from core.products import DEFAULT_CATEGORY
from core.vocabulary import CaseCategory, CaseKind, Channel, Language, Priority
from ui import keys, runtime
from ui.actions import call, flash, run
from ui.fmt import error_md, label, money, when

SECTIONS = {"sla": N_("SLA targets"), "calendar": N_("Business hours"),
            "aftersales": N_("After-sales"), "texts": N_("Texts")}
TEXT_KINDS = {"canned": N_("Canned replies"), "templates": N_("Message templates")}
UNITS = {"s": (1, N_("seconds")), "min": (60, N_("minutes")), "h": (3600, N_("hours"))}


def _attempt(service, *args, **kwargs):
    """A preview: (True, result), or its refusal shown and (False, None). Nothing is written,
    so no cached read is cleared."""
    _ = runtime.gettext()
    try:
        return True, service(runtime.uow(), runtime.require_actor(), *args, **kwargs)
    except DomainError as e:
        st.error(error_md(e, _))
        return False, None


def _saved(done: bool, msgid: str = N_("Saved.")) -> None:
    if done:
        flash(msgid)
        st.rerun()


def render(actor: Actor) -> None:
    _ = runtime.gettext()
    sections = [k for k in SECTIONS if allowed(actor.roles, Action.CANNED_REPLY_EDIT
                                               if k == "texts" else Action.POLICY_EDIT)]
    if not sections:
        st.info(_("Only administrators change policies."))
        return
    st.caption(_("The rules the desk works by. Each change applies from the moment it is saved "
                 "and is recorded in the audit log; cases and requests already made keep what "
                 "they were given."))
    section = st.segmented_control(_("Policy"), sections, default=sections[0], required=True,
                                   format_func=lambda k: _(SECTIONS[k]),
                                   key=keys.POLICIES_SECTION)
    {"sla": _sla, "calendar": _calendar, "aftersales": _aftersales,
     "texts": _texts}[section or sections[0]](actor)


# --- SLA targets ------------------------------------------------------------------------------

def _duration(_, seconds: int, business_hours: bool) -> str:
    unit = next(u for u in ("h", "min", "s") if seconds % UNITS[u][0] == 0)
    text = {"h": _("{n} h"), "min": _("{n} min"), "s": _("{n} s")}[unit].format(
        n=seconds // UNITS[unit][0])
    return f"{text} " + (_("(opening hours)") if business_hours else _("(round the clock)"))


def _scope(_, t) -> str:
    return " · ".join((label(_, CHANNEL, t.channel),
                       label(_, KIND, t.kind) if t.kind else _("any kind"),
                       label(_, PRIORITY, t.priority) if t.priority else _("any priority")))


def _summary(_, t) -> str:
    return (f"{t.id}: {_scope(_, t)} — "
            f"{_duration(_, t.first_response_seconds, t.first_response_business_hours)} / "
            f"{_duration(_, t.resolution_seconds, t.resolution_business_hours)}")


def _duration_input(_, title: str, seconds: int, business_hours: bool, key: str):
    unit = next(u for u in ("h", "min", "s") if seconds % UNITS[u][0] == 0)
    c1, c2, c3 = st.columns([2, 2, 3])
    amount = c1.number_input(title, min_value=1, max_value=policy_sla.MAX_SECONDS,
                             value=seconds // UNITS[unit][0], step=1, key=f"{key}.amount")
    picked = c2.selectbox(_("Unit"), list(UNITS), index=list(UNITS).index(unit),
                          format_func=lambda u: _(UNITS[u][1]), key=f"{key}.unit")
    counted = c3.checkbox(_("Counted in opening hours only"), value=business_hours,
                          key=f"{key}.business")
    return int(amount) * UNITS[picked][0], counted


def _sla(actor: Actor) -> None:
    _ = runtime.gettext()
    st.caption(_("A case gets the active target that fits it most closely (channel, then kind "
                 "and priority; 'any' fits every case) and keeps the due times it was given "
                 "when the target changes later."))
    targets = policy_sla.sla_targets(runtime.uow(), actor)
    active = [t for t in targets if t.active]
    st.dataframe([{_("No."): t.id, _("Channel"): label(_, CHANNEL, t.channel),
                   _("Kind"): label(_, KIND, t.kind) if t.kind else _("Any"),
                   _("Priority"): label(_, PRIORITY, t.priority) if t.priority else _("Any"),
                   _("First response"): _duration(_, t.first_response_seconds,
                                                  t.first_response_business_hours),
                   _("Resolution"): _duration(_, t.resolution_seconds,
                                              t.resolution_business_hours)}
                  for t in active], hide_index=True, width="stretch")
    covered = {t.channel for t in active if t.kind is None and t.priority is None}
    missing = [label(_, CHANNEL, c) for c in Channel if c not in covered]
    if missing:
        st.warning(_("No target for every case of: {channels}. Cases there that no other target "
                     "fits get no due time.").format(channels=", ".join(missing)))
    by_id = {t.id: t for t in active}
    if keys.POLICIES_SLA_NEXT in st.session_state:    # the row a change just created
        st.session_state[keys.POLICIES_SLA_PICK] = st.session_state.pop(keys.POLICIES_SLA_NEXT)
    pick = st.selectbox(_("Change a target, or add one"), [0, *by_id],
                        format_func=lambda i: _("New target") if i == 0
                        else f"{i}: {_scope(_, by_id[i])}", key=keys.POLICIES_SLA_PICK)
    target = by_id.get(pick)
    form = f"{keys.POLICIES_SLA_FORM}.{pick}.{target.version if target else 0}"
    with st.form(form):
        c1, c2, c3 = st.columns(3)
        channels, kinds, priorities = list(Channel), [None, *CaseKind], [None, *Priority]
        channel = c1.selectbox(_("Channel"), channels,
                               index=channels.index(target.channel) if target else 0,
                               format_func=lambda c: label(_, CHANNEL, c), key=f"{form}.channel")
        kind = c2.selectbox(_("Kind"), kinds, index=kinds.index(target.kind) if target else 0,
                            format_func=lambda k: label(_, KIND, k) if k else _("Any"),
                            key=f"{form}.kind")
        priority = c3.selectbox(_("Priority"), priorities,
                                index=priorities.index(target.priority) if target else 0,
                                format_func=lambda p: label(_, PRIORITY, p) if p else _("Any"),
                                key=f"{form}.priority")
        first = _duration_input(_, _("First response within"),
                                target.first_response_seconds if target else 300,
                                target.first_response_business_hours if target else False,
                                f"{form}.first")
        resolution = _duration_input(_, _("Resolved within"),
                                     target.resolution_seconds if target else 9 * 3600,
                                     target.resolution_business_hours if target else True,
                                     f"{form}.resolution")
        b1, b2 = st.columns(2)
        preview = b1.form_submit_button(_("Preview"))
        save = b2.form_submit_button(_("Save"), type="primary")
    values = dict(channel=channel, kind=kind, priority=priority,
                  first_response_seconds=first[0], first_response_business_hours=first[1],
                  resolution_seconds=resolution[0], resolution_business_hours=resolution[1])
    if preview:
        ok, p = _attempt(policy_sla.preview_sla_target, **values,
                         target_id=target.id if target else None)
        if ok:
            st.info(_("A case opened now would need its first response by {first} and be "
                      "resolved by {resolution}.").format(first=when(p.first_response_due_at),
                                                          resolution=when(p.resolution_due_at)))
            st.info(_("Of the last {days} days' cases this target would govern {cases}: {late} "
                      "of them would have breached it ({first} late first responses, "
                      "{resolved} late resolutions). With the targets they were given, "
                      "{now} breached.").format(
                days=p.days, cases=p.cases, late=p.breaches, first=p.first_response_breaches,
                resolved=p.resolution_breaches, now=p.breaches_now))
            if p.duplicate_of:
                st.warning(_("Target {id} already covers this channel, kind and priority: "
                             "saving is refused until it is deactivated.").format(
                    id=p.duplicate_of))
    if save:
        if target:
            done, now_id = call(policy_sla.change_sla_target, target.id, target.version,
                                **values)
        else:
            done, now_id = call(policy_sla.add_sla_target, **values)
        if done:
            st.session_state[keys.POLICIES_SLA_NEXT] = now_id
        _saved(done)
    if target and st.button(_("Deactivate this target"),
                            key=f"{keys.POLICIES_SLA_DEACTIVATE}.{target.id}.{target.version}"):
        _saved(run(policy_sla.set_sla_target_active, target.id, False, target.version))
    inactive = {t.id: t for t in targets if not t.active}
    if inactive:
        with st.expander(_("Inactive and earlier targets ({n})").format(n=len(inactive))):
            again = st.selectbox(_("Target"), list(inactive),
                                 format_func=lambda i: _summary(_, inactive[i]),
                                 key=keys.POLICIES_SLA_INACTIVE)
            if st.button(_("Reactivate"), key=keys.POLICIES_SLA_REACTIVATE):
                _saved(run(policy_sla.set_sla_target_active, again, True,
                           inactive[again].version))


# --- business hours and holidays --------------------------------------------------------------

def _country_name(code: str) -> str:
    try:
        return Locale.parse(runtime.language()).territories.get(code, code)
    except ValueError:
        return code


def _days_table(days: list[policy_calendar.DayPreview]) -> None:
    _ = runtime.gettext()
    rows = []
    for d in days:
        why = [x for x in (d.public_holiday, d.own_day) if x]
        if d.moved_workday:
            why.append(_("Working day moved by the holiday calendar"))
        rows.append({_("Date"): d.day.isoformat(),
                     _("Weekday"): _(policy_calendar.WEEKDAYS[d.day.weekday()]),
                     _("Opening hours"): f"{d.opens:%H:%M}–{d.closes:%H:%M}" if d.opens
                     else _("Closed"), _("Why"): " · ".join(why)})
    st.dataframe(rows, hide_index=True, width="stretch")


def _calendar(actor: Actor) -> None:
    _ = runtime.gettext()
    settings = policy_calendar.calendar_settings(runtime.uow(), actor)
    st.caption(_("Opening hours in the shop's time zone ({tz}). Targets counted in opening "
                 "hours only run while the shop is open.").format(tz=settings.timezone))
    shown = ";".join(f"{d}={o:%H%M}-{c:%H%M}" for d, (o, c) in sorted(settings.hours.items()))
    form = f"{keys.POLICIES_HOURS_FORM}.{shown}"
    with st.form(form):
        week: dict[int, tuple[time, time] | None] = {}
        for day, name in enumerate(policy_calendar.WEEKDAYS):
            current = settings.hours.get(day)
            c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
            is_open = c1.checkbox(_(name), value=current is not None, key=f"{form}.{day}")
            shown_label = "visible" if day == 0 else "collapsed"
            opens = c2.time_input(_("Opens"), value=current[0] if current else time(9),
                                  key=f"{form}.{day}.opens", label_visibility=shown_label)
            closes = c3.time_input(_("Closes"), value=current[1] if current else time(18),
                                   key=f"{form}.{day}.closes", label_visibility=shown_label)
            week[day] = (opens, closes) if is_open else None
        b1, b2 = st.columns(2)
        preview = b1.form_submit_button(_("Preview the next 7 days"))
        save = b2.form_submit_button(_("Save"), type="primary")
    if preview:
        ok, days = _attempt(policy_calendar.preview_calendar, hours=week)
        if ok:
            _days_table(days)
    if save:
        _saved(run(policy_calendar.set_business_hours, week, settings.hours))

    st.subheader(_("Public holidays"))
    current = str(settings.country.value or "")
    codes = policy_calendar.supported_countries()
    options = ["", *codes] + ([current] if current and current not in codes else [])
    form = f"{keys.POLICIES_COUNTRY_FORM}.{settings.country.version}"
    with st.form(form):
        code = st.selectbox(_("The shop closes on the public holidays of"), options,
                            index=options.index(current),
                            format_func=lambda c: f"{c} — {_country_name(c)}" if c
                            else _("No country (no public holidays)"), key=f"{form}.code")
        b1, b2 = st.columns(2)
        preview = b1.form_submit_button(_("Preview the next 7 days"))
        save = b2.form_submit_button(_("Save"), type="primary")
    if preview:
        ok, days = _attempt(policy_calendar.preview_calendar, country=code)
        if ok:
            _days_table(days)
    if save:
        _saved(run(policy_calendar.set_holiday_country, code, settings.country.version))

    st.subheader(_("The shop's own days"))
    st.caption(_("Days the shop closes on top of the public holidays (a stocktaking day), or "
                 "opens although the holiday calendar closes it."))
    if settings.own_days:
        st.dataframe([{_("Date"): d.day.isoformat(), _("Name"): d.name,
                       _("Open"): d.open} for d in settings.own_days],
                     hide_index=True, width="stretch")
        c1, c2 = st.columns([3, 1])
        days = {d.day: d for d in settings.own_days}
        gone = c1.selectbox(_("Day"), list(days), key=keys.POLICIES_OWN_DAY_PICK,
                            format_func=lambda d: f"{d.isoformat()} {days[d].name}")
        if c2.button(_("Remove"), key=keys.POLICIES_OWN_DAY_REMOVE):
            _saved(run(policy_calendar.remove_own_day, gone))
    with st.form(keys.POLICIES_OWN_DAY_FORM, clear_on_submit=True):
        c1, c2 = st.columns(2)
        day = c1.date_input(_("Date"), value=None, min_value=settings.today,
                            key=f"{keys.POLICIES_OWN_DAY_FORM}.day")
        name = c2.text_input(_("Name"), max_chars=policy_calendar.OWN_DAY_NAME_MAX,
                             key=f"{keys.POLICIES_OWN_DAY_FORM}.name")
        open_day = st.checkbox(_("Open that day (a working day the holiday calendar would "
                                 "close)"), key=f"{keys.POLICIES_OWN_DAY_FORM}.open")
        if st.form_submit_button(_("Add")):
            _saved(run(policy_calendar.add_own_day, day, name, open_day))

    st.subheader(_("The next 7 days"))
    ok, days = _attempt(policy_calendar.preview_calendar)
    if ok:
        _days_table(days)


# --- after-sales ------------------------------------------------------------------------------

def _category_name(_, category: str) -> str:
    return _("Default (every other category)") if category == DEFAULT_CATEGORY else category


def _aftersales(actor: Actor) -> None:
    _ = runtime.gettext()
    data = policies.aftersales_policies(runtime.uow(), actor)
    st.caption(_("Windows are counted in days from delivery (from the order date when no "
                 "delivery is recorded). A product's own window, if it has one, wins."))
    st.dataframe([{_("Product category"): _category_name(_, p.category),
                   _("Return window (days)"): p.return_window_days,
                   _("Exchange window (days)"): p.exchange_window_days,
                   _("Warranty (months)"): p.warranty_months,
                   _("Proof of purchase required"): p.proof_of_purchase_required,
                   _("Products"): p.products} for p in data.categories],
                 hide_index=True, width="stretch")
    by_id = {p.id: p for p in data.categories}
    pick = st.selectbox(_("Change a category's policy, or add one"), [0, *by_id],
                        format_func=lambda i: _("New category policy") if i == 0
                        else _category_name(_, by_id[i].category),
                        key=keys.POLICIES_AFTERSALES_PICK)
    policy = by_id.get(pick)
    base = policy or next((p for p in data.categories if p.category == DEFAULT_CATEGORY), None)
    form = f"{keys.POLICIES_AFTERSALES_FORM}.{pick}.{policy.version if policy else 0}"
    with st.form(form):
        if policy:
            category = policy.category
        else:
            category = st.selectbox(_("Product category"), data.uncovered, index=None,
                                    accept_new_options=True, key=f"{form}.category",
                                    placeholder=_("Pick or type a category"))
        c1, c2, c3 = st.columns(3)
        returns = c1.number_input(_("Return window (days)"), min_value=0,
                                  max_value=policies.MAX_WINDOW_DAYS, step=1,
                                  value=base.return_window_days if base else 7,
                                  key=f"{form}.return")
        exchanges = c2.number_input(_("Exchange window (days)"), min_value=0,
                                    max_value=policies.MAX_WINDOW_DAYS, step=1,
                                    value=base.exchange_window_days if base else 15,
                                    key=f"{form}.exchange")
        warranty = c3.number_input(_("Warranty (months)"), min_value=0,
                                   max_value=policies.MAX_WARRANTY_MONTHS, step=1,
                                   value=base.warranty_months if base else 12,
                                   key=f"{form}.warranty")
        proof = st.checkbox(_("Proof of purchase required"),
                            value=base.proof_of_purchase_required if base else True,
                            key=f"{form}.proof")
        b1, b2 = st.columns(2)
        preview = b1.form_submit_button(_("Preview"))
        save = b2.form_submit_button(_("Save"), type="primary")
    windows = dict(return_window_days=int(returns), exchange_window_days=int(exchanges),
                   warranty_months=int(warranty))
    if preview:
        ok, p = _attempt(policies.preview_category_policy, category or "", **windows)
        if ok:
            st.caption(_("{products} active products, {lines} order lines of orders not "
                         "cancelled, {requests} open requests.").format(
                products=p.products, lines=p.lines, requests=p.open_requests))
            st.dataframe([
                {"": _("Order lines inside the return window today"),
                 _("Now"): p.lines_now.inside_return, _("With the change"):
                 p.lines_new.inside_return},
                {"": _("Order lines inside the exchange window today"),
                 _("Now"): p.lines_now.inside_exchange, _("With the change"):
                 p.lines_new.inside_exchange},
                {"": _("Order lines inside the warranty today"),
                 _("Now"): p.lines_now.inside_warranty, _("With the change"):
                 p.lines_new.inside_warranty},
                {"": _("Open requests inside their window when made"),
                 _("Now"): p.open_inside_now, _("With the change"): p.open_inside_new},
            ], hide_index=True, width="stretch")
    if save:
        if policy:
            _saved(run(policies.change_category_policy, policy.id, policy.version, **windows,
                       proof_of_purchase_required=proof))
        else:
            _saved(run(policies.add_category_policy, category or "", **windows,
                       proof_of_purchase_required=proof))
    if policy and policy.category != DEFAULT_CATEGORY and st.button(
            _("Remove this category's policy (the default applies again)"),
            key=f"{keys.POLICIES_AFTERSALES_REMOVE}.{policy.id}.{policy.version}"):
        _saved(run(policies.remove_category_policy, policy.id, policy.version))

    st.subheader(_("Refund approval threshold"))
    threshold = int(data.threshold.value or 0)
    form = f"{keys.POLICIES_THRESHOLD_FORM}.{data.threshold.version}"
    with st.form(form):
        amount = st.number_input(_("Refunds above this amount need a supervisor's approval, "
                                   "even inside policy (yuan)"), min_value=0.0,
                                 max_value=policies.MAX_CENTS / 100, value=threshold / 100,
                                 step=10.0, format="%.2f", key=f"{form}.amount")
        b1, b2 = st.columns(2)
        preview = b1.form_submit_button(_("Preview"))
        save = b2.form_submit_button(_("Save"), type="primary")
    cents = int(round(amount * 100))
    if preview:
        ok, p = _attempt(policies.preview_refund_threshold, cents)
        if ok:
            st.info(_("Of the last {days} days' {refunds} refunds, {now} were above the "
                      "threshold in force ({current}) and {new} would be above {proposed}."
                      ).format(days=p.days, refunds=p.refunds, now=p.above_now,
                               current=money(threshold), new=p.above_new,
                               proposed=money(cents)))
    if save:
        _saved(run(policies.set_refund_threshold, cents, data.threshold.version))


# --- texts ------------------------------------------------------------------------------------

def _texts(actor: Actor) -> None:
    _ = runtime.gettext()
    kind = st.segmented_control(_("Texts"), list(TEXT_KINDS), default="canned", required=True,
                                format_func=lambda k: _(TEXT_KINDS[k]),
                                key=keys.POLICIES_TEXTS_KIND)
    st.caption(_("A placeholder in braces is filled in when the text is used; only the ones "
                 "listed for a text are allowed. A brace of its own is written twice."))
    (_templates if kind == "templates" else _canned)(actor)


def _braced(names) -> str:
    return ", ".join("{" + n + "}" for n in sorted(names)) or "—"


def _canned(actor: Actor) -> None:
    _ = runtime.gettext()
    rows = policy_texts.canned_list(runtime.uow(), actor)
    st.dataframe([{_("No."): c.id, _("Language"): language_name(c.language.value),
                   _("Title"): c.title, _("Category"): label(_, CATEGORY, c.category)
                   if c.category else _("Any"), _("In use"): c.active} for c in rows],
                 hide_index=True, width="stretch")
    by_id = {c.id: c for c in rows}
    pick = st.selectbox(_("Change a canned reply, or add one"), [0, *by_id],
                        format_func=lambda i: _("New canned reply") if i == 0
                        else f"{i}: {by_id[i].title} ({language_name(by_id[i].language.value)})",
                        key=keys.POLICIES_CANNED_PICK)
    reply = by_id.get(pick)
    languages, categories = list(Language), [None, *CaseCategory]
    form = f"{keys.POLICIES_CANNED_FORM}.{pick}.{reply.version if reply else 0}"
    with st.form(form):
        c1, c2, c3 = st.columns([3, 2, 2])
        title = c1.text_input(_("Title"), value=reply.title if reply else "",
                              max_chars=policy_texts.TITLE_MAX, key=f"{form}.title")
        language = c2.selectbox(_("Language"), languages,
                                index=languages.index(reply.language) if reply else 0,
                                format_func=lambda x: language_name(x.value),
                                key=f"{form}.language")
        category = c3.selectbox(_("Category"), categories,
                                index=categories.index(reply.category) if reply else 0,
                                format_func=lambda c: label(_, CATEGORY, c) if c else _("Any"),
                                key=f"{form}.category")
        body = st.text_area(_("Message"), value=reply.body if reply else "",
                            max_chars=policy_texts.BODY_MAX, key=f"{form}.body")
        st.caption(_("May use: {names}").format(
            names=_braced(policy_texts.CANNED_PLACEHOLDERS)))
        active = st.checkbox(_("In use"), value=reply.active if reply else True,
                             key=f"{form}.active")
        b1, b2 = st.columns(2)
        preview = b1.form_submit_button(_("Preview"))
        save = b2.form_submit_button(_("Save"), type="primary")
    if preview:
        ok, text = _attempt(policy_texts.preview_canned, language.value, body)
        if ok:
            with st.container(border=True):
                st.caption(_("With sample values"))
                st.text(text)
    if save:
        values = dict(title=title, body=body, language=language.value,
                      category=category.value if category else None)
        if reply:
            _saved(run(policy_texts.change_canned_reply, reply.id, reply.version, **values,
                       active=active))
        else:
            _saved(run(policy_texts.add_canned_reply, **values))


def _templates(actor: Actor) -> None:
    _ = runtime.gettext()
    rows = policy_texts.templates(runtime.uow(), actor)
    known = list(policy_texts.TEMPLATE_NAMES)
    names = sorted({t.key for t in rows},
                   key=lambda k: (known.index(k) if k in known else len(known), k))
    if not names:
        st.info(_("There are no message templates."))
        return
    key = st.selectbox(_("Message templates"), names, key=keys.POLICIES_TEMPLATE_KEY,
                       format_func=lambda k: _(policy_texts.TEMPLATE_NAMES[k])
                       if k in policy_texts.TEMPLATE_NAMES else k)
    shown = [t for t in rows if t.key == key]
    st.caption(_("May use: {names}").format(names=_braced(shown[0].allowed)))
    for column, template in zip(st.columns(len(shown)), shown):
        form = f"{keys.POLICIES_TEMPLATE_FORM}.{template.id}.{template.version}"
        with column:
            heading = language_name(template.language.value)
            if template.channel != "email":
                heading += f" · {template.channel}"
            st.markdown("**" + heading + "**")
            with st.form(form):
                subject = st.text_input(_("Subject"), value=template.subject or "",
                                        max_chars=policy_texts.SUBJECT_MAX,
                                        key=f"{form}.subject")
                body = st.text_area(_("Message"), value=template.body, height=220,
                                    max_chars=policy_texts.BODY_MAX, key=f"{form}.body")
                b1, b2 = st.columns(2)
                preview = b1.form_submit_button(_("Preview"))
                save = b2.form_submit_button(_("Save"), type="primary")
            if preview:
                ok, p = _attempt(policy_texts.preview_template, template.key,
                                 template.language.value, subject, body)
                if ok:
                    with st.container(border=True):
                        st.caption(_("With sample values"))
                        st.text(p.subject or "")
                        st.text(p.body)
            if save:
                _saved(run(policy_texts.change_template, template.id, template.version,
                           subject=subject, body=body))
