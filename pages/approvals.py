from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("After-sales approval"),
             N_("Requests outside policy and refunds above the threshold, waiting for a supervisor's decision."))
