"""Product lookup beside a call: details and what to recommend to this customer."""
from __future__ import annotations

import streamlit as st

from core import products
from core.errors import DomainError
from ui import runtime
from ui.fmt import error_md, money


def details(info: products.ProductInfo) -> None:
    _ = runtime.gettext()
    st.text(f"{info.sku} · {info.name}" + (f" · {info.name_zh}" if info.name_zh else ""))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Price"), money(info.price_cents))
    c2.metric(_("Warranty"), _("{n} months").format(n=info.warranty_months))
    c3.metric(_("Return window"), _("{n} days").format(n=info.return_window_days))
    c4.metric(_("In stock"), _("Yes") if info.in_stock else _("No"))
    st.caption(_("Exchange within {n} days").format(n=info.exchange_window_days))
    if info.specs:
        st.text(info.specs)


def recommendations(customer_id: int | None = None, product_id: int | None = None) -> None:
    _ = runtime.gettext()
    recs = products.recommendations(runtime.uow(), runtime.require_actor(),
                                    customer_id=customer_id, product_id=product_id)
    if not recs:
        st.caption(_("No recommendation yet: not enough purchase history."))
        return
    st.dataframe([{_("Product"): r.product.name, _("SKU"): r.product.sku,
                   _("Price"): money(r.product.price_cents),
                   _("Bought together"): r.bought_together} for r in recs],
                 hide_index=True, width="stretch")


def show(customer_id: int | None = None, expanded: bool = False) -> None:
    _ = runtime.gettext()
    with st.expander(_("Product lookup"), icon=":material/inventory_2:", expanded=expanded):
        query = st.text_input(_("SKU, model or name"), key="product.query", max_chars=100)
        try:
            found = products.find_products(runtime.uow(), runtime.require_actor(), query) \
                if query.strip() else []
        except DomainError as e:
            st.error(error_md(e, _))
            found = []
        if query.strip() and not found:
            st.info(_("No product matches."))
        if found:
            by_id = {p.id: p for p in found}
            pick = st.selectbox(_("Product"), list(by_id), key="product.pick",
                                format_func=lambda i: f"{by_id[i].sku} · {by_id[i].name}")
            details(by_id[pick])
            st.caption(_("Often bought with it"))
            recommendations(product_id=pick)
        if customer_id is not None:
            st.caption(_("Recommended for this customer"))
            recommendations(customer_id=customer_id)
