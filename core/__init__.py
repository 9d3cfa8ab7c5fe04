"""CareDesk's domain: the shop's rules and services. Never imports streamlit."""
