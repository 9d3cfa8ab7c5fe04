from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("My jobs"),
             N_("The repair and replacement jobs assigned to you: schedule, quality check and service report."))
