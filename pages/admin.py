from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Administration"),
             N_("Staff accounts, policies, canned replies, imports and backups."))
