from core.i18n import N_
from ui.placeholder import coming_later

coming_later(N_("Intake"),
             N_("Record a contact on any channel: find or create the customer, note the question and the answer, and resolve it on the spot or give it an owner and a due time."))
