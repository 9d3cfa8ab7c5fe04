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

# the Exports page (pages/exports.py)
EXPORTS_KIND = "exports.kind"                    # customers / orders / cases
EXPORTS_FORM = "exports.form"                    # + ".<kind>": that kind's filters
EXPORTS_FILTER = "exports.filter"                # + ".<kind>.<filter>": one filter's widget
EXPORTS_RESULT = "exports.result"                # (kind, filters, preview) last shown
EXPORTS_PREVIEW = "exports.preview"              # the preview's table
EXPORTS_DOWNLOAD = "exports.download"            # + ".csv" / ".xlsx"

# the Audit log page (pages/audit.py)
AUDIT_VIEW = "audit.view"                        # all / personal data
AUDIT_FORM = "audit.form"
AUDIT_FILTER = "audit.filter"                    # + ".<filter>": one filter's widget
AUDIT_FILTERS = "audit.filters"                  # the AuditFilters applied
AUDIT_CURSORS = "audit.cursors"                  # before_id of each page shown so far
AUDIT_TABLE = "audit.table"                      # + ".<n>": the page's table (row selection)
AUDIT_NEWER = "audit.newer"
AUDIT_OLDER = "audit.older"
AUDIT_DOWNLOAD = "audit.download"                # + ".csv" / ".xlsx"

# Administration -> Backup (ui/admin_backup.py)
BACKUP_NOW = "backup.now"
BACKUP_TABLE = "backup.table"
BACKUP_PICK = "backup.pick"                      # the backup whose restore command is shown

# the Staff tab of Administration (ui/admin_staff.py)
ADMIN_STAFF_TABLE = "admin.staff.table"
ADMIN_STAFF_NEW = "admin.staff.new"              # + ".<n>": the "New staff member" form
ADMIN_STAFF_NEW_RESETS = "admin.staff.new_resets"  # n above: an empty form after a creation
ADMIN_STAFF_PICK = "admin.staff.pick"            # the staff id whose record is open
ADMIN_STAFF_EDIT = "admin.staff.edit"            # + ".<id>.<version>": their form and buttons
ADMIN_STAFF_PASSWORD = "admin.staff.password"    # (username, name, temporary password): shown
                                                 # on the next run only, then dropped

# Administration -> Policies (ui/admin_policies.py)
POLICIES_SECTION = "admin.policies.section"          # sla / calendar / aftersales / texts
POLICIES_SLA_PICK = "admin.policies.sla.pick"        # the target being edited (id; 0 = new)
POLICIES_SLA_NEXT = "admin.policies.sla.next"        # the id to pick on the next run (saved)
POLICIES_SLA_FORM = "admin.policies.sla.form"        # + ".<id>.<version>"
POLICIES_SLA_DEACTIVATE = "admin.policies.sla.deactivate"  # + ".<id>.<version>"
POLICIES_SLA_INACTIVE = "admin.policies.sla.inactive"      # the inactive target to bring back
POLICIES_SLA_REACTIVATE = "admin.policies.sla.reactivate"
POLICIES_HOURS_FORM = "admin.policies.hours"         # + ".<hours shown>"
POLICIES_COUNTRY_FORM = "admin.policies.country"     # + ".<version>"
POLICIES_OWN_DAY_FORM = "admin.policies.own_day"
POLICIES_OWN_DAY_PICK = "admin.policies.own_day.pick"
POLICIES_OWN_DAY_REMOVE = "admin.policies.own_day.remove"
POLICIES_AFTERSALES_PICK = "admin.policies.aftersales.pick"  # a category policy id; 0 = new
POLICIES_AFTERSALES_FORM = "admin.policies.aftersales.form"  # + ".<id>.<version>"
POLICIES_AFTERSALES_REMOVE = "admin.policies.aftersales.remove"  # + ".<id>.<version>"
POLICIES_THRESHOLD_FORM = "admin.policies.threshold"  # + ".<version>"
POLICIES_TEXTS_KIND = "admin.policies.texts.kind"    # canned / templates
POLICIES_CANNED_PICK = "admin.policies.canned.pick"  # a canned reply id; 0 = new
POLICIES_CANNED_FORM = "admin.policies.canned.form"  # + ".<id>.<version>"
POLICIES_TEMPLATE_KEY = "admin.policies.template.key"
POLICIES_TEMPLATE_FORM = "admin.policies.template.form"  # + ".<id>.<version>"

# Administration -> Imports (ui/admin_imports.py)
IMPORT_KIND = "imports.kind"                     # customers / products / orders / staff
IMPORT_FILE = "imports.file"                     # + ".<kind>.<n>": the uploader
IMPORT_UPLOADS = "imports.uploads"               # n above: an empty uploader after an import
IMPORT_MAPPING = "imports.mapping"               # + ".<kind>.<file id>.<field>": its column
IMPORT_PREVIEW = "imports.preview"               # (file, mapping, report) of the last check
IMPORT_HEADERS = "imports.headers"               # (file id, column names) of the last file
IMPORT_APPLY = "imports.apply"                   # the Import button
IMPORT_DOWNLOAD = "imports.bad_rows"             # the bad rows as CSV
IMPORT_RESULT = "imports.result"                 # what the last import did, shown once
