from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("After-sales"),
             N_("Open and follow return, exchange, repair and refund requests, with the policy check that explains itself."))
