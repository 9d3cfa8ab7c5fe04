"""Labels people read for the values of core.vocabulary (msgids, translated by the page)."""
from core.i18n import N_
from core.vocabulary import Role

ROLE = {
    Role.AGENT: N_("Agent"),
    Role.TECHNICIAN: N_("Technician"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.ANALYST: N_("Analyst"),
    Role.ADMIN: N_("Admin"),
}
