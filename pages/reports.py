from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Reports"),
             N_("Monthly and quarterly management reports with the change from the previous period."))
