"""Administration -> Staff: every account at a glance, a new account, and one person's record
(edit, disable / enable, reset password). The rules (own roles, own account, the last admin,
sessions ended, audit) live in core.staff; this module only draws and calls."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import staff
from core.actor import Actor
from core.i18n import LANGUAGES, N_, language_name
from core.labels import ROLE
from core.vocabulary import Role
from ui import keys, runtime
from ui.actions import call, flash
from ui.fmt import label, local, md

ROLES = [r.value for r in Role]


def render(actor: Actor) -> None:
    _ = runtime.gettext()
    _one_time_password(_)
    people = staff.list_staff(runtime.uow(), actor)
    skills = staff.known_skills(runtime.uow(), actor)
    _table(_, people)
    _new_member(_, skills)
    _record(_, actor, people, skills)


# --- what is shown ----------------------------------------------------------------------------

def _remember_password(username: str, name: str, password: str) -> None:
    """For the next run only (after st.rerun): _one_time_password shows it once and drops it."""
    st.session_state[keys.ADMIN_STAFF_PASSWORD] = (username, name, password)


def _one_time_password(_) -> None:
    shown = st.session_state.pop(keys.ADMIN_STAFF_PASSWORD, None)
    if not shown:
        return
    username, name, password = shown
    with st.container(border=True):
        st.warning(_("Temporary password for {name} ({username}). It is shown only this once: "
                     "give it to them in person or by phone. They must choose their own "
                     "password when they next log in.").format(name=md(name),
                                                              username=md(username)))
        st.code(password, language=None)


def _hours(_, hours: dict | None) -> str:
    if hours is None:
        return _("Shop hours")
    texts = staff.working_hours_text(hours)
    return "; ".join(f"{_(staff.DAY_LABELS[day])} {text}" for day, text in texts.items()
                     if text)


def _roles(_, roles) -> str:
    return ", ".join(label(_, ROLE, r) for r in roles)


def _table(_, people: list[staff.StaffMember]) -> None:
    frame = pd.DataFrame([{
        _("Username"): m.username, _("Name"): m.display_name, _("Roles"): _roles(_, m.roles),
        _("Skills"): ", ".join(m.skills), _("Language"): language_name(m.language),
        _("E-mail"): m.email or "", _("Working hours"): _hours(_, m.working_hours),
        _("Active"): m.active, _("Temporary password"): m.must_change_password,
        _("Last login"): local(m.last_login_at),
    } for m in people])
    config = {
        _("Active"): st.column_config.CheckboxColumn(width="small"),
        _("Temporary password"): st.column_config.CheckboxColumn(
            width="small", help=_("Must choose their own password at the next login")),
        _("Last login"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
    }
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config,
                 key=keys.ADMIN_STAFF_TABLE)


# --- a new account ----------------------------------------------------------------------------

def _new_member(_, skills: list[str]) -> None:
    resets = st.session_state.get(keys.ADMIN_STAFF_NEW_RESETS, 0)
    form = f"{keys.ADMIN_STAFF_NEW}.{resets}"   # a new key after a creation: empty fields
    with st.expander(_("New staff member")), st.form(form):
        c1, c2 = st.columns(2)
        username = c1.text_input(_("Username"), max_chars=64, key=f"{form}.username",
                                 help=_("Used to log in: lower-case letters a-z, digits, dot, "
                                        "dash or underscore."))
        name = c2.text_input(_("Name"), max_chars=120, key=f"{form}.name")
        email = c1.text_input(_("E-mail"), max_chars=254, key=f"{form}.email")
        language = c2.selectbox(_("Language"), LANGUAGES, format_func=language_name,
                                key=f"{form}.language")
        roles = st.multiselect(_("Roles"), ROLES, format_func=lambda r: label(_, ROLE, r),
                               key=f"{form}.roles")
        chosen = st.multiselect(_("Skills"), skills, accept_new_options=True,
                                key=f"{form}.skills", help=_("Pick from the list or type a "
                                                             "new skill."))
        st.caption(_("The account gets a temporary password, shown once after saving. The "
                     "person must choose their own at their first login. Working hours are "
                     "the shop's until you change them below."))
        if st.form_submit_button(_("Create account"), type="primary"):
            done, new = call(staff.create_staff_member, username, name, roles, language,
                             email, chosen)
            if done:
                st.session_state[keys.ADMIN_STAFF_NEW_RESETS] = resets + 1
                st.session_state[keys.ADMIN_STAFF_PICK] = new.staff_id  # drawn below: allowed
                _remember_password(new.username, name.strip(), new.temporary_password)
                flash(N_("Account {username} created."), username=new.username)
                st.rerun()


# --- one person's record ----------------------------------------------------------------------

def _person(_, m: staff.StaffMember) -> str:
    text = f"{m.display_name} ({m.username})"
    return text if m.active else _("{person} — disabled").format(person=text)


def _record(_, actor: Actor, people: list[staff.StaffMember], skills: list[str]) -> None:
    st.subheader(_("Edit a staff member"))
    by_id = {m.id: m for m in people}
    if st.session_state.get(keys.ADMIN_STAFF_PICK) not in by_id:
        st.session_state.pop(keys.ADMIN_STAFF_PICK, None)
    picked = st.selectbox(_("Staff member"), list(by_id), index=None,
                          format_func=lambda i: _person(_, by_id[i]),
                          placeholder=_("Choose a person"), key=keys.ADMIN_STAFF_PICK)
    if picked is None:
        return
    m = by_id[picked]
    own = m.id == actor.staff_id
    # the version in the key: after any change (here or elsewhere) the form starts afresh
    prefix = f"{keys.ADMIN_STAFF_EDIT}.{m.id}.{m.version}"
    _edit_form(_, m, own, skills, prefix)
    _account_actions(_, m, own, prefix)


def _edit_form(_, m: staff.StaffMember, own: bool, skills: list[str], prefix: str) -> None:
    with st.form(prefix):
        c1, c2 = st.columns(2)
        name = c1.text_input(_("Name"), value=m.display_name, max_chars=120,
                             key=f"{prefix}.name")
        email = c2.text_input(_("E-mail"), value=m.email or "", max_chars=254,
                              key=f"{prefix}.email")
        language = c1.selectbox(_("Language"), LANGUAGES, index=LANGUAGES.index(m.language),
                                format_func=language_name, key=f"{prefix}.language")
        roles = c2.multiselect(
            _("Roles"), ROLES, default=[r.value for r in m.roles],
            format_func=lambda r: label(_, ROLE, r), disabled=own, key=f"{prefix}.roles",
            help=(_("You cannot change your own roles. Ask another administrator.") if own
                  else _("A change of roles logs the person out; they see their new menu "
                         "when they log in again.")))
        chosen = st.multiselect(_("Skills"), sorted({*skills, *m.skills}),
                                default=list(m.skills), accept_new_options=True,
                                key=f"{prefix}.skills",
                                help=_("Pick from the list or type a new skill."))

        st.markdown("**" + _("Working hours") + "**")
        shop = st.checkbox(_("Works the shop's hours"), value=m.working_hours is None,
                           key=f"{prefix}.shop")
        texts = staff.working_hours_text(m.working_hours)
        days = {}
        for row in (staff.DAY_KEYS[:4], staff.DAY_KEYS[4:]):
            for col, day in zip(st.columns(4), row):
                days[day] = col.text_input(_(staff.DAY_LABELS[day]), value=texts[day],
                                           max_chars=60, placeholder="09:00-18:00",
                                           key=f"{prefix}.day.{day}")
        st.caption(_("Per day from-to, for example 09:00-18:00; several shifts separated by "
                     "commas; empty for a day off. The days are ignored while \"Works the "
                     "shop's hours\" is ticked."))

        if st.form_submit_button(_("Save changes"), type="primary"):
            changes = dict(display_name=name, email=email, language=language, skills=chosen,
                           working_hours=None if shop else days)
            if not own:
                changes["roles"] = roles
            done, changed = call(staff.update_staff, m.id, expected_version=m.version,
                                 **changes)
            if done:
                if not changed:
                    flash(N_("Nothing was changed."))
                elif not own and sorted(roles) != sorted(r.value for r in m.roles):
                    flash(N_("Saved. {name} was logged out and gets the new roles at their "
                             "next login."), name=m.display_name)
                else:
                    flash(N_("Saved."))
                st.rerun()


def _account_actions(_, m: staff.StaffMember, own: bool, prefix: str) -> None:
    c1, c2 = st.columns(2)
    if m.active:
        refused = _("You cannot disable your own account. Ask another administrator.")
        with c1.popover(_("Disable account"), disabled=own, help=refused if own else None):
            st.write(_("The person is logged out at once and can no longer log in. Their "
                       "cases and history stay as they are."))
            if st.button(_("Disable"), type="primary", key=f"{prefix}.disable"):
                done, _changed = call(staff.set_active, m.id, False, expected_version=m.version)
                if done:
                    flash(N_("{name} is disabled and logged out."), name=m.display_name)
                    st.rerun()
    elif c1.button(_("Enable account"), key=f"{prefix}.enable"):
        done, _changed = call(staff.set_active, m.id, True, expected_version=m.version)
        if done:
            flash(N_("{name} can log in again."), name=m.display_name)
            st.rerun()
    with c2.popover(_("Reset password"), disabled=own,
                    help=_("Change your own password on the My account page.") if own
                    else None):
        st.write(_("The current password stops working and the person is logged out. You "
                   "get a temporary password to pass on; they must choose their own at their "
                   "next login."))
        if st.button(_("Reset password now"), type="primary", key=f"{prefix}.reset"):
            done, password = call(staff.reset_password, m.id, expected_version=m.version)
            if done:
                _remember_password(m.username, m.display_name, password)
                st.rerun()
