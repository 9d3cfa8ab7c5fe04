from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Cases"),
             N_("Your cases, the team's and the unassigned ones, with their SLA due times; open one to see its timeline, reply, reassign or escalate."))
