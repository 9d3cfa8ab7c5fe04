"""Administration -> Callback rules: which events and customers get a follow-up or care
call, and when; the attempt limit."""
import streamlit as st

from core import callback_rules
from core.actor import Actor
from core.i18n import N_
from core.labels import CALLBACK_TRIGGER
from ui import runtime
from ui.actions import call, flash, run
from ui.fmt import label


def render(actor: Actor) -> None:
    _ = runtime.gettext()
    st.caption(_("Which events and customers get a follow-up or care call, and when. A customer "
                 "never has two open calls of the same kind."))
    rules, max_attempts = callback_rules.rules(runtime.uow(), actor)
    for rule in rules:
        with st.form(f"admin.rule.{rule.trigger.value}"):
            st.markdown("**" + label(_, CALLBACK_TRIGGER, rule.trigger) + "**")
            c1, c2 = st.columns(2)
            enabled = c1.toggle(_("On"), value=rule.enabled)
            days = c2.number_input(
                _("Business days after the event") if rule.business_days
                else _("Every (calendar days)"),
                min_value=rule.low, max_value=rule.high, value=rule.delay_days, step=1)
            st.caption(_("{n} open now").format(n=rule.open_callbacks))
            if not rule.business_days and not rule.enabled:
                owed = callback_rules.preview(runtime.uow(), actor, rule.trigger)
                st.caption(_("Switching this on schedules {n} care calls now, spread over the "
                             "period.").format(n=owed))
            if st.form_submit_button(_("Save")):
                done, scheduled = call(callback_rules.update_rule, rule.trigger, enabled,
                                       int(days), rule.version)
                if done:
                    flash(N_("Saved."))
                    if scheduled is None:
                        flash(N_("The database was busy: the care calls will be scheduled by "
                                 "the next hourly run."))
                    elif scheduled:
                        flash(N_("{n} care calls scheduled."), n=sum(scheduled.values()))
                    st.rerun()
    with st.form("admin.callback_attempts"):
        attempts = st.number_input(
            _("Unanswered calls before a callback closes as unreachable"),
            min_value=callback_rules.ATTEMPTS[0], max_value=callback_rules.ATTEMPTS[1],
            value=max_attempts, step=1)
        if st.form_submit_button(_("Save")):
            if run(callback_rules.set_max_attempts, int(attempts)):
                flash(N_("Saved."))
                st.rerun()
