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

# the Staffing planner (pages/staffing.py)
STAFFING_FORM = "staffing.form"                  # weeks, shrinkage, handling times
STAFFING_WEEKS = "staffing.weeks"
STAFFING_SHRINKAGE = "staffing.shrinkage"
STAFFING_AHT = "staffing.aht"                    # + ".<channel>": seconds
STAFFING_WEEKDAY = "staffing.weekday"            # the day the chart and table show
STAFFING_TABLE = "staffing.table"
STAFFING_DOWNLOAD = "staffing.download"

# the Analytics page (pages/analytics.py, ui/analytics_*.py); the filters are shared with
# any page that calls ui.analytics_filters.sidebar_filters, and outlive a page switch
ANALYTICS_PRESET = "analytics.preset"            # a core.analytics.PRESETS value or "custom"
ANALYTICS_RANGE = "analytics.range"              # (first day, last day) of a custom period
ANALYTICS_CHANNELS = "analytics.channels"        # the dimension filters: codes or ids
ANALYTICS_KINDS = "analytics.kinds"
ANALYTICS_CATEGORIES = "analytics.categories"
ANALYTICS_STORES = "analytics.stores"
ANALYTICS_PRODUCT_CATEGORIES = "analytics.product_categories"
ANALYTICS_AGENTS = "analytics.agents"
ANALYTICS_TIERS = "analytics.tiers"
ANALYTICS_REFRESH = "analytics.refresh"          # the "Refresh data" button
ANALYTICS_CLEAR = "analytics.clear"              # the "Clear filters" button
ANALYTICS_SECTION = "analytics.section"          # overview / service / satisfaction / ...
ANALYTICS_GRAIN = "analytics.grain"              # auto / day / week / month
ANALYTICS_SPLIT = "analytics.split"              # the volume chart's colours: channel / kind
ANALYTICS_SLA_BY = "analytics.sla_by"            # Service levels: channel / category / agent ...
ANALYTICS_SLA_CHART = "analytics.sla_chart"      # + ".<by>": its bar selection (click-to-filter)
ANALYTICS_SATISFACTION_BY = "analytics.satisfaction_by"
ANALYTICS_COMPLAINTS_BY = "analytics.complaints_by"  # product / store / department
ANALYTICS_TABLE = "analytics.table"              # + ".<name>": a section's table
ANALYTICS_DOWNLOAD = "analytics.download"        # + ".<name>.csv" / ".<name>.xlsx"

# the Reports page (pages/reports.py)
REPORTS_KIND = "reports.kind"                    # month / quarter
REPORTS_FORM = "reports.form"                    # year, month or quarter, report language
REPORTS_YEAR = "reports.year"
REPORTS_MONTH = "reports.month"
REPORTS_QUARTER = "reports.quarter"
REPORTS_LANGUAGE = "reports.language"
REPORTS_REFRESH = "reports.refresh"              # the "Refresh data" button
REPORTS_TABLE = "reports.table"                  # + ".<table key>"
REPORTS_HTML = "reports.html"                    # the printable report's download
REPORTS_EXCEL = "reports.excel"                  # the workbook's download
