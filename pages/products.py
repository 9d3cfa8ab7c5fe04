from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Products"),
             N_("Look up specifications, price, warranty and return window, stock, and what customers bought together."))
