from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Customers"),
             N_("Find a customer by phone, e-mail, name or order number and see their orders, cases, after-sales requests, callbacks and satisfaction."))
