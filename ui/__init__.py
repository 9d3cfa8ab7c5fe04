"""Streamlit glue shared by app.py and pages/: session-state keys, the engine, login.

Holds no business rule: everything it decides, it asks core."""
