"""Products: specifications, price, warranty, return window, stock and what sells with it."""
import streamlit as st

from ui import product_panel, runtime

_ = runtime.gettext()
runtime.require_actor()
st.title(_("Products"))
product_panel.show(expanded=True)
