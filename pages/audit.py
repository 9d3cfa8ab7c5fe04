from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Audit log"),
             N_("Who did what, when, to which record; and who viewed or exported personal data."))
