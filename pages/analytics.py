from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Analytics"),
             N_("Volumes, SLA compliance, response and resolution times, satisfaction, root causes and after-sales costs, as charts with their tables."))
