"""The filters the analytics pages share, in the sidebar: a period (a named preset or a custom
range of shop days) and the dimensions to keep (channel, kind, category, store, product
category, agent, customer tier), plus a "Refresh data" button.

The choices live in session state (ui.keys.ANALYTICS_*) and are kept for the whole session,
so they survive switching sections and pages: Reports can call `sidebar_filters` too and
show the same period. What comes back is a core.analytics.Filters, not yet validated (a
custom period may be incomplete or too long: core.analytics.checked says so in words)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from core.analytics import PRESET_LABELS, PRESETS, FilterOptions, Filters, preset_period
from core.labels import CATEGORY, CHANNEL, KIND, TIER
from ui import keys, runtime
from ui.fmt import label

CUSTOM = "custom"
DEFAULT_PRESET = "last_30_days"
KEEP = "session"     # widget values outlive the page: the same filters on every analytics page


def _keep_known(key: str, known: list) -> None:
    """Drops chosen values that are no longer offered (a store closed, an agent left)."""
    chosen = st.session_state.get(key)
    if chosen:
        kept = [v for v in chosen if v in known]
        if kept != list(chosen):
            st.session_state[key] = kept


def period_text(f: Filters) -> str:
    _ = runtime.gettext()
    return _("{start} to {end} ({days} days)").format(
        start=f.start.isoformat(), end=f.end.isoformat(), days=f.days)


def sidebar_filters(options: FilterOptions, today: date,
                    refresh: Callable[[], None] | None = None) -> Filters:
    """Draws the filters in the sidebar and returns what they say. `refresh` (the page's
    cache clearing) runs when the person asks for fresh data."""
    _ = runtime.gettext()
    state = st.session_state
    state.setdefault(keys.ANALYTICS_PRESET, DEFAULT_PRESET)
    if state[keys.ANALYTICS_PRESET] not in (*PRESETS, CUSTOM):
        state[keys.ANALYTICS_PRESET] = DEFAULT_PRESET
    stores = dict(options.stores)
    agents = dict(options.agents)
    for key, known in ((keys.ANALYTICS_CHANNELS, options.channels),
                       (keys.ANALYTICS_KINDS, options.kinds),
                       (keys.ANALYTICS_CATEGORIES, options.categories),
                       (keys.ANALYTICS_STORES, list(stores)),
                       (keys.ANALYTICS_PRODUCT_CATEGORIES, options.product_categories),
                       (keys.ANALYTICS_AGENTS, list(agents)),
                       (keys.ANALYTICS_TIERS, options.tiers)):
        _keep_known(key, known)

    with st.sidebar:
        st.header(_("Filters"))
        preset = st.selectbox(
            _("Period"), (*PRESETS, CUSTOM), key=keys.ANALYTICS_PRESET, persist_state=KEEP,
            format_func=lambda p: _("Custom period") if p == CUSTOM else _(PRESET_LABELS[p]))
        if preset == CUSTOM:
            state.setdefault(keys.ANALYTICS_RANGE, preset_period(DEFAULT_PRESET, today))
            chosen = st.date_input(_("First and last day"), key=keys.ANALYTICS_RANGE,
                                   persist_state=KEEP, format="YYYY-MM-DD")
            chosen = tuple(chosen) if isinstance(chosen, (tuple, list)) else (chosen,)
            # half a range (the second click still to come) goes to core, which asks for both
            start = chosen[0] if chosen else None
            end = chosen[1] if len(chosen) > 1 else None
        else:
            start, end = preset_period(preset, today)

        channels = st.multiselect(_("Channel"), options.channels, key=keys.ANALYTICS_CHANNELS,
                                  persist_state=KEEP, placeholder=_("All"),
                                  format_func=lambda v: label(_, CHANNEL, v))
        kinds = st.multiselect(_("Kind"), options.kinds, key=keys.ANALYTICS_KINDS,
                               persist_state=KEEP, placeholder=_("All"),
                               format_func=lambda v: label(_, KIND, v))
        categories = st.multiselect(_("Category"), options.categories,
                                    key=keys.ANALYTICS_CATEGORIES, persist_state=KEEP,
                                    placeholder=_("All"),
                                    format_func=lambda v: label(_, CATEGORY, v))
        with st.expander(_("More filters"),
                         expanded=any(state.get(k) for k in MORE)):
            store_ids = st.multiselect(_("Store"), list(stores), key=keys.ANALYTICS_STORES,
                                       persist_state=KEEP, placeholder=_("All"),
                                       format_func=lambda v: stores.get(v, str(v)))
            product_categories = st.multiselect(
                _("Product category"), options.product_categories,
                key=keys.ANALYTICS_PRODUCT_CATEGORIES, persist_state=KEEP,
                placeholder=_("All"))
            agent_ids = st.multiselect(_("Agent"), list(agents), key=keys.ANALYTICS_AGENTS,
                                       persist_state=KEEP, placeholder=_("All"),
                                       format_func=lambda v: agents.get(v, str(v)))
            tiers = st.multiselect(_("Customer tier"), options.tiers, key=keys.ANALYTICS_TIERS,
                                   persist_state=KEEP, placeholder=_("All"),
                                   format_func=lambda v: label(_, TIER, v))
        if any(state.get(k) for k in FILTER_KEY.values()):
            st.button(_("Clear filters"), icon=":material/filter_alt_off:",
                      key=keys.ANALYTICS_CLEAR, on_click=clear_dimensions, width="stretch",
                      help=_("Keeps the period, removes every other filter."))
        st.button(_("Refresh data"), icon=":material/refresh:", key=keys.ANALYTICS_REFRESH,
                  on_click=refresh, width="stretch",
                  help=_("Figures are kept for up to five minutes; this reads them again."))
    return Filters(start=start, end=end, channels=tuple(channels), kinds=tuple(kinds),
                   categories=tuple(categories), store_ids=tuple(store_ids),
                   product_categories=tuple(product_categories), agent_ids=tuple(agent_ids),
                   tiers=tuple(tiers), preset=None if preset == CUSTOM else preset)


# the filters behind "More filters" (the expander opens by itself when one of them is set)
MORE = (keys.ANALYTICS_STORES, keys.ANALYTICS_PRODUCT_CATEGORIES, keys.ANALYTICS_AGENTS,
        keys.ANALYTICS_TIERS)

# the filter each breakdown dimension sets when a bar is clicked (click-to-filter)
FILTER_KEY = {"channel": keys.ANALYTICS_CHANNELS, "kind": keys.ANALYTICS_KINDS,
              "category": keys.ANALYTICS_CATEGORIES, "store_id": keys.ANALYTICS_STORES,
              "product_category": keys.ANALYTICS_PRODUCT_CATEGORIES,
              "agent_id": keys.ANALYTICS_AGENTS, "tier": keys.ANALYTICS_TIERS}


def keep_only(dimension: str, value) -> None:
    """Sets one filter to one value (a click on a bar); call it from a widget callback, which
    runs before the filters are drawn."""
    key = FILTER_KEY.get(dimension)
    if key is not None and value is not None:
        st.session_state[key] = [int(value) if dimension in ("store_id", "agent_id")
                                 else str(value)]


def clear_dimensions() -> None:
    """Removes every dimension filter (the period stays)."""
    for key in FILTER_KEY.values():
        st.session_state[key] = []

