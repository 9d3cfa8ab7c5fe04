from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Team"),
             N_("The open queue per agent, what is about to breach, what breached, and escalations waiting."))
