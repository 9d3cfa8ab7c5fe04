"""The management report's suggestion rules (core.reports.rule_*), each on numbers that should
trigger it and on numbers that should not, its text citing the figure behind it; their order;
and the report periods (the month or quarter before, validation, the future refused)."""
from datetime import date

import pandas as pd
import pytest

from core import reports
from core.errors import ValidationError
from core.reports import Facts

EN = "en"


def channels(*rows) -> pd.DataFrame:
    """(channel, cases, response rate, previous response rate) rows."""
    return pd.DataFrame(rows, columns=["channel", "cases", "response_rate",
                                       "response_rate_prev"])


def period(current=None, previous=None, **frames) -> Facts:
    return Facts(kind=frames.pop("kind", "month"), current=current or {},
                 previous=previous or {}, **frames)


# --- first-response SLA per channel ------------------------------------------------------------

def test_a_channel_below_its_response_target_is_named_with_its_figure():
    facts = period(by_channel=channels(("phone", 120, 0.78, 0.85), ("email", 80, 0.95, 0.96)))
    s = reports.rule_channel_response(facts, EN)
    assert s.rule_id == "channel_response_sla" and s.figure == "78%"
    assert s.text == ("First-response SLA on Phone fell to 78% (target 80%, 85% last month): "
                      "add Phone cover at the busiest hours (see the staffing planner).")
    assert s.severity == reports.MEDIUM


def test_the_worst_channel_is_named_and_a_deep_miss_is_high():
    facts = period(kind="quarter", by_channel=channels(
        ("phone", 120, 0.78, 0.70), ("chat", 60, 0.62, None)))
    s = reports.rule_channel_response(facts, EN)
    assert s.figure == "62%" and s.severity == reports.HIGH
    assert "on Online chat was 62% (target 80%, no figure for last quarter)" in s.text


def test_a_drop_of_five_points_above_the_target_is_a_warning():
    s = reports.rule_channel_response(period(by_channel=channels(
        ("email", 50, 0.88, 0.95))), EN)
    assert s.severity == reports.LOW and s.figure == "88%"
    assert "E-mail fell to 88% (95% last month, target 80%)" in s.text


def test_response_sla_rule_stays_silent_when_it_should():
    assert reports.rule_channel_response(period(), EN) is None
    # on target and steady; a small drop; a tiny channel far below target
    quiet = channels(("phone", 120, 0.80, 0.82), ("email", 80, 0.91, 0.95),
                     ("social", 3, 0.30, 0.90))
    assert reports.rule_channel_response(period(by_channel=quiet), EN) is None


def test_a_figure_just_under_the_target_is_not_rounded_onto_it():
    s = reports.rule_channel_response(period(by_channel=channels(
        ("phone", 300, 0.798, 0.81))), EN)
    assert s.figure == "79.8%" and "fell to 79.8% (target 80%" in s.text


def test_channel_names_follow_the_report_language():
    s = reports.rule_channel_response(period(by_channel=channels(
        ("phone", 120, 0.78, 0.85))), "zh_CN")
    assert "电话" in s.text and "78%" in s.text


# --- resolution SLA, first-contact resolution, reopen ------------------------------------------

def test_resolution_sla_below_target_names_the_weakest_category():
    categories = pd.DataFrame([("delivery", 40, 0.70), ("price", 30, 0.95), ("usage", 2, 0.1)],
                              columns=["category", "cases", "resolution_rate"])
    facts = period({"resolution_rate": 0.81, "resolved": 90}, {"resolution_rate": 0.88},
                   by_category=categories)
    s = reports.rule_resolution_sla(facts, EN)
    assert s.figure == "81%" and s.severity == reports.MEDIUM
    assert s.text.startswith("Resolution SLA was 81% (target 85%, 88% last month); Delivery "
                             "was lowest at 70%")
    assert reports.rule_resolution_sla(period({"resolution_rate": 0.70, "resolved": 90}),
                                       EN).severity == reports.HIGH


def test_resolution_sla_silent_on_target_or_too_few_cases():
    assert reports.rule_resolution_sla(period({"resolution_rate": 0.85, "resolved": 90}),
                                       EN) is None
    assert reports.rule_resolution_sla(period({"resolution_rate": 0.5, "resolved": 4}),
                                       EN) is None
    assert reports.rule_resolution_sla(period({"resolution_rate": None}), EN) is None


def test_fcr_below_target_or_falling():
    low = reports.rule_fcr(period({"fcr_rate": 0.52, "resolved": 100}, {"fcr_rate": 0.55}), EN)
    assert low.figure == "52%" and "(target 60%, 55% last month)" in low.text
    falling = reports.rule_fcr(period({"fcr_rate": 0.66, "resolved": 100},
                                      {"fcr_rate": 0.72}), EN)
    assert falling.severity == reports.LOW
    assert falling.text.startswith("First-contact resolution fell to 66% (72% last month)")


def test_fcr_silent_when_fine():
    assert reports.rule_fcr(period({"fcr_rate": 0.66, "resolved": 100}, {"fcr_rate": 0.69}),
                            EN) is None
    assert reports.rule_fcr(period({"fcr_rate": 0.40, "resolved": 3}), EN) is None


def test_reopen_above_the_limit():
    s = reports.rule_reopen(period({"reopen_rate": 0.08, "reopened": 8, "resolved": 100},
                                   {"reopen_rate": 0.03}), EN)
    assert s.figure == "8%" and s.severity == reports.MEDIUM
    assert s.text.startswith("8% of the resolved cases were reopened (8 of 100; limit 5%, "
                             "3% last month)")
    assert reports.rule_reopen(period({"reopen_rate": 0.12, "reopened": 12, "resolved": 100}),
                               EN).severity == reports.HIGH
    assert reports.rule_reopen(period({"reopen_rate": 0.05, "resolved": 100}), EN) is None
    assert reports.rule_reopen(period({"reopen_rate": 0.5, "resolved": 2}), EN) is None


# --- complaints and products ----------------------------------------------------------------------

def pareto(*rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["root_cause", "complaints"])
    frame["share"] = frame["complaints"] / frame["complaints"].sum()
    return frame


def test_a_cause_behind_a_third_of_the_complaints_goes_to_its_department():
    s = reports.rule_pareto_head(period(pareto=pareto(
        ("delivery_delay", 14), ("product_defect", 10), (None, 6), ("policy", 10))), EN)
    assert s.figure == "35%" and s.severity == reports.MEDIUM
    assert s.text.startswith("Late delivery caused 35% of the complaints (14 of 40): agree an "
                             "action on this cause with Logistics")
    half = reports.rule_pareto_head(period(pareto=pareto(("product_defect", 6),
                                                         ("policy", 4))), EN)
    assert half.severity == reports.HIGH and "Product quality" in half.text


def test_no_pareto_head_when_causes_are_spread_or_unclassified():
    spread = pareto(("delivery_delay", 5), ("product_defect", 5), ("policy", 5),
                    ("wrong_item", 5))
    assert reports.rule_pareto_head(period(pareto=spread), EN) is None
    # the biggest group has no cause yet: nothing to act on
    assert reports.rule_pareto_head(period(pareto=pareto((None, 30), ("policy", 5),
                                                         ("wrong_item", 5))), EN) is None
    assert reports.rule_pareto_head(period(pareto=pareto(("policy", 3))), EN) is None


def products(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sku", "product", "units_sold", "returns"])


def test_a_product_returned_at_twice_the_listed_rate_gets_a_quality_check():
    listed = products(("K-1", "Kettle K1", 50, 6), ("T-1", "Toaster", 200, 4),
                      ("F-1", "Fan", 150, 2), ("M-1", "Mixer", 5, 5))
    s = reports.rule_return_rate(period(after_sales=listed), EN)
    # pooled rate of the products sold 20+ times: 12 / 400 = 3%; the kettle's 12% is 4x
    assert s.figure == "12%" and s.severity == reports.HIGH
    assert s.text.startswith("Kettle K1 (K-1) was returned at a rate of 12% (6 of 50 sold), "
                             "4.0 times the average of 3%")


def test_return_rate_silent_without_a_real_outlier():
    even = products(("K-1", "Kettle", 50, 2), ("T-1", "Toaster", 200, 6))
    assert reports.rule_return_rate(period(after_sales=even), EN) is None
    # the outlier sold too few to compare, or only one return
    small = products(("K-1", "Kettle", 10, 5), ("T-1", "Toaster", 200, 2),
                     ("F-1", "Fan", 100, 1))
    assert reports.rule_return_rate(period(after_sales=small), EN) is None
    single = products(("K-1", "Kettle", 20, 1), ("T-1", "Toaster", 200, 0),
                      ("F-1", "Fan", 100, 0))
    assert reports.rule_return_rate(period(after_sales=single), EN) is None
    assert reports.rule_return_rate(period(), EN) is None


# --- satisfaction, NPS, reach ---------------------------------------------------------------------

def test_satisfaction_below_four():
    s = reports.rule_satisfaction(period({"satisfaction": 3.8, "survey_answers": 40},
                                         {"satisfaction": 4.1}), EN)
    assert s.figure == "3.80" and s.severity == reports.MEDIUM
    assert "3.80 out of 5 (target 4.0, 4.10 last month; 40 answers)" in s.text
    assert reports.rule_satisfaction(period({"satisfaction": 3.2, "survey_answers": 40}),
                                     EN).severity == reports.HIGH
    assert reports.rule_satisfaction(period({"satisfaction": 4.0, "survey_answers": 40}),
                                     EN) is None
    assert reports.rule_satisfaction(period({"satisfaction": 2.0, "survey_answers": 2}),
                                     EN) is None


def test_nps_down_ten_points():
    s = reports.rule_nps_drop(period({"nps": 18.0, "nps_answers": 50}, {"nps": 31.0}), EN)
    assert s.figure == "+18"
    assert s.text.startswith("NPS fell by 13 points to +18 (+31 last month)")
    assert reports.rule_nps_drop(period({"nps": 22.0, "nps_answers": 50}, {"nps": 31.0}),
                                 EN) is None
    assert reports.rule_nps_drop(period({"nps": -40.0, "nps_answers": 50}), EN) is None
    assert reports.rule_nps_drop(period({"nps": -40.0, "nps_answers": 2}, {"nps": 50.0}),
                                 EN) is None


def test_reach_rate_below_seventy_percent():
    s = reports.rule_reach(period({"reach_rate": 0.62, "callbacks_closed": 50,
                                   "callbacks_reached": 31}), EN)
    assert s.figure == "62%"
    assert s.text.startswith("Only 62% of the callbacks reached the customer (31 of 50; "
                             "target 70%): call at other hours")
    assert reports.rule_reach(period({"reach_rate": 0.70, "callbacks_closed": 50}), EN) is None
    assert reports.rule_reach(period({"reach_rate": 0.0, "callbacks_closed": 2}), EN) is None


# --- backlog and volume -----------------------------------------------------------------------------

def test_old_open_cases_above_a_tenth_of_the_backlog():
    s = reports.rule_backlog_age(period({"backlog": 80, "backlog_over_7_days": 12}), EN)
    assert s.figure == "15%" and s.severity == reports.MEDIUM
    assert s.text.startswith("12 of the 80 open cases (15%) are more than 7 days old "
                             "(limit 10%)")
    assert reports.rule_backlog_age(period({"backlog": 80, "backlog_over_7_days": 40}),
                                    EN).severity == reports.HIGH
    assert reports.rule_backlog_age(period({"backlog": 80, "backlog_over_7_days": 8}),
                                    EN) is None
    assert reports.rule_backlog_age(period({"backlog": 0, "backlog_over_7_days": 0}),
                                    EN) is None


def test_volume_up_a_fifth_asks_for_staff():
    s = reports.rule_volume_rise(period({"cases": 1250}, {"cases": 1000}), EN)
    assert s.figure == "25%"
    assert s.text.startswith("Case volume rose by 25% to 1250 (1000 last month): plan more "
                             "staff")
    quarter = reports.rule_volume_rise(period({"cases": 1200}, {"cases": 1000},
                                              kind="quarter"), EN)
    assert "(1000 last quarter)" in quarter.text
    assert reports.rule_volume_rise(period({"cases": 1190}, {"cases": 1000}), EN) is None
    assert reports.rule_volume_rise(period({"cases": 900}, {"cases": 0}), EN) is None
    assert reports.rule_volume_rise(period({"cases": 500}, {"cases": 1000}), EN) is None


# --- all rules together ------------------------------------------------------------------------------

def test_there_are_at_least_eight_rules_and_suggestions_come_most_severe_first():
    assert len(reports.RULES) >= 8
    facts = period({"cases": 1250, "reopen_rate": 0.12, "reopened": 12, "resolved": 100,
                    "fcr_rate": 0.7, "reach_rate": 0.5, "callbacks_closed": 20,
                    "callbacks_reached": 10},
                   {"cases": 1000, "fcr_rate": 0.78},
                   by_channel=channels(("email", 50, 0.88, 0.95)))
    found = reports.suggest(facts, EN)
    assert [s.rule_id for s in found] == ["reopen", "callback_reach", "volume_rise",
                                          "channel_response_sla", "fcr"]
    assert [s.severity for s in found] == [3, 2, 2, 1, 1]
    assert all(s.figure in s.text for s in found)


def test_nothing_to_suggest_on_a_good_period():
    facts = period({"cases": 1000, "resolution_rate": 0.95, "resolved": 900, "fcr_rate": 0.7,
                    "reopen_rate": 0.02, "satisfaction": 4.5, "survey_answers": 100,
                    "nps": 40.0, "nps_answers": 100, "reach_rate": 0.85,
                    "callbacks_closed": 100, "backlog": 50, "backlog_over_7_days": 2},
                   {"cases": 990, "fcr_rate": 0.71, "nps": 42.0},
                   by_channel=channels(("phone", 500, 0.86, 0.87)),
                   pareto=pareto(("delivery_delay", 5), ("product_defect", 5), ("policy", 5),
                                 ("wrong_item", 5)))
    assert reports.suggest(facts, EN) == ()


# --- periods -----------------------------------------------------------------------------------------

def test_months_and_quarters_and_the_ones_before():
    assert reports.report_period("month", 2026, 2) == (date(2026, 2, 1), date(2026, 2, 28))
    assert reports.report_period("month", 2024, 2) == (date(2024, 2, 1), date(2024, 2, 29))
    assert reports.report_period("quarter", 2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    # the month before, not "the same number of days before"
    assert reports.previous_period("month", 2026, 3) == (date(2026, 2, 1), date(2026, 2, 28))
    assert reports.previous_period("month", 2026, 1) == (date(2025, 12, 1), date(2025, 12, 31))
    assert reports.previous_period("quarter", 2026, 1) == (date(2025, 10, 1),
                                                           date(2025, 12, 31))
    assert reports.previous_period("quarter", 2026, 3) == (date(2026, 4, 1), date(2026, 6, 30))
    assert reports.previous_number("month", 2026, 1) == (2025, 12)
    assert reports.period_label("en", "month", 2026, 3) == "March 2026"
    assert reports.period_label("en", "quarter", 2026, 1) == "Q1 2026"


@pytest.mark.parametrize("kind, year, number", [
    ("week", 2026, 1), ("month", 2026, 13), ("month", 2026, 0), ("quarter", 2026, 5),
    ("month", "twenty", 1), ("month", 1999, 1), ("month", 2026, 2.5), ("month", True, 1),
    (None, 2026, 1)])
def test_bad_periods_are_refused_in_words(kind, year, number):
    with pytest.raises(ValidationError):
        reports.report_period(kind, year, number)


def test_a_period_that_has_not_begun_is_refused():
    today = date(2026, 11, 10)
    assert reports.report_period("month", 2026, 11, today=today)[0] == date(2026, 11, 1)
    with pytest.raises(ValidationError) as error:
        reports.report_period("month", 2026, 12, today=today)
    assert "2026-12-01" in str(error.value)
    with pytest.raises(ValidationError):
        reports.report_period("quarter", 2027, 1, today=today)


def test_values_are_written_for_people():
    assert reports.format_value(EN, "percent", 0.9217) == "92.2%"
    assert reports.format_change(EN, "percent", -0.0138) == "-1.4 pts"
    assert reports.format_value(EN, "money", 1093295) == "¥10,932.95"
    assert reports.format_change(EN, "money", -424588) == "-¥4,245.88"
    assert reports.format_value(EN, "hours", 4.4844) == "4.48 h"
    assert reports.format_value(EN, "nps", None) == "—"
    assert reports.format_relative(0.316) == "+32%"
    assert reports.compare("x", "X", "percent", "lower", 0.1, 0.1).verdict == "same"
    # too small to show (+0.0 pts) is no change either
    assert reports.compare("x", "X", "percent", "lower", 0.0074, 0.0071).verdict == "same"
    assert reports.compare("x", "X", "percent", "lower", 0.0080, 0.0071).verdict == "bad"
    assert reports.compare("x", "X", "count", "neither", 5, 3).verdict == "neutral"
    assert reports.compare("x", "X", "hours", "lower", 2.0, 3.0).verdict == "good"
