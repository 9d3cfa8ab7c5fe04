from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Complaint review"),
             N_("Escalated complaints, those close to or past their promised reply date, and compensation waiting for your sign-off."))
