"""Every st.session_state key CareDesk uses, in one place."""

SESSION_KEY = "caredesk.session_key"     # server-side login session id (hash)
ACTOR = "caredesk.actor"                 # Actor resolved from the database on this run
LANGUAGE = "caredesk.language"           # before login: the language chosen on the form
NOTICE = "caredesk.notice"               # one message to show on the next run (msgid, params)

# streamlit-authenticator's own keys, which we keep in step with our session
LIB_STATUS = "authentication_status"
LIB_USERNAME = "username"
LIB_NAME = "name"
LIB_LOGOUT = "logout"

COOKIE_NAME = "caredesk_auth"
COOKIE_COMPONENT = "init"                # extra-streamlit-components' CookieManager key
COOKIE_WAITS = "caredesk.cookie_waits"
