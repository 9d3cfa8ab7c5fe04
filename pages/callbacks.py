from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Callbacks"),
             N_("Follow-up and care calls due today, overdue and upcoming; claim one, log the attempt and record the survey."))
