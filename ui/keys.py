"""Every st.session_state key CareDesk uses, in one place."""

SESSION_KEY = "caredesk.session_key"     # server-side login session id (hash)
ACTOR = "caredesk.actor"                 # Actor resolved from the database on this run
LANGUAGE = "caredesk.language"           # before login: the language chosen on the form
FLASH = "caredesk.flash"                 # [(msgid, params)]: what the last action did
NOTICE = "caredesk.notice"               # one message to show on the next run (msgid, params)

# streamlit-authenticator's own keys, which we keep in step with our session
LIB_STATUS = "authentication_status"
LIB_USERNAME = "username"
LIB_NAME = "name"
LIB_LOGOUT = "logout"

COOKIE_NAME = "caredesk_auth"
COOKIE_COMPONENT = "init"                # extra-streamlit-components' CookieManager key
COOKIE_WAITS = "caredesk.cookie_waits"

# the Callbacks page (pages/callbacks.py, ui/callback_panel.py)
CALLBACKS_SCOPE = "callbacks.scope"              # mine / unclaimed / team
CALLBACKS_BUCKET = "callbacks.bucket"            # overdue / today / upcoming
CALLBACKS_TABLE = "callbacks.table"              # + ".<n>": the queue's row selection
CALLBACKS_TABLE_RESETS = "callbacks.table_resets"  # n above: a new table once a row is opened
CALLBACK_OUTCOME = "callbacks.outcome"           # + ".<id>.<attempts>": the outcome picked
CALLBACK_ATTEMPT_FORM = "callbacks.attempt"      # + ".<id>.<attempts>": that attempt's form
CALLBACK_CLAIM = "callbacks.claim"               # + ".<id>": the buttons and forms of one call
CALLBACK_RELEASE = "callbacks.release"
CALLBACK_MOVE_FORM = "callbacks.move"            # + ".<id>.<version>"
CALLBACK_CANCEL_FORM = "callbacks.cancel"        # + ".<id>.<version>"
CALLBACK_CLOSE = "callbacks.close"
SCHEDULE_FORM = "callbacks.schedule"
SCHEDULE_CHANGE = "callbacks.schedule.change"
SCHEDULE_QUERY = "callbacks.schedule.query"
SCHEDULE_CUSTOMER = "callbacks.schedule.customer"  # (id, name) of the customer to call
RESULTS_DAYS = "callbacks.results.days"
RESULTS_BY = "callbacks.results.by"

# the Team page (pages/team.py)
TEAM_REFRESH = "team.refresh"                    # the "Refresh now" button
TEAM_LIST = "team.list"                          # which cases: at_risk / breached / escalations
TEAM_TABLE = "team.table"                        # + ".<list>": agents / at_risk / breached / ...
