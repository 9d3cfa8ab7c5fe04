"""The analytics periods: what each preset covers on a given day, and what it is compared
with (the calendar month or quarter before, not just as many days earlier)."""
from datetime import date

import pytest

from core.analytics import Filters, preset_period, previous_span, shift_months
from core.errors import ValidationError

TODAY = date(2026, 11, 26)  # a Thursday in the year's last quarter


@pytest.mark.parametrize("preset, period, previous", [
    ("last_7_days", (date(2026, 11, 20), TODAY), (date(2026, 11, 13), date(2026, 11, 19))),
    ("last_30_days", (date(2026, 10, 28), TODAY), (date(2026, 9, 28), date(2026, 10, 27))),
    # month to date against the same days of the month before
    ("this_month", (date(2026, 11, 1), TODAY), (date(2026, 10, 1), date(2026, 10, 26))),
    ("last_month", (date(2026, 10, 1), date(2026, 10, 31)),
     (date(2026, 9, 1), date(2026, 9, 30))),
    ("this_quarter", (date(2026, 10, 1), TODAY), (date(2026, 7, 1), date(2026, 8, 26))),
    ("last_quarter", (date(2026, 7, 1), date(2026, 9, 30)),
     (date(2026, 4, 1), date(2026, 6, 30))),
    ("last_12_months", (date(2025, 12, 1), TODAY), (date(2024, 12, 1), date(2025, 11, 26))),
])
def test_each_preset_and_what_it_is_compared_with(preset, period, previous):
    assert preset_period(preset, TODAY) == period
    f = Filters(*period, channels=("phone",), preset=preset)
    before = f.previous()
    assert (before.start, before.end) == previous
    assert before.channels == ("phone",) and before.preset == preset


def test_a_custom_period_is_compared_with_as_many_days_just_before():
    f = Filters(date(2026, 11, 10), date(2026, 11, 16))
    assert (f.previous().start, f.previous().end) == (date(2026, 11, 3), date(2026, 11, 9))


def test_months_of_different_lengths():
    assert shift_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert shift_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert shift_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
    # March to date (31 days) against the whole of February
    assert previous_span("this_month", date(2026, 3, 1), date(2026, 3, 31)) == (
        date(2026, 2, 1), date(2026, 2, 28))
    # January's last month is December of the year before
    assert preset_period("last_month", date(2026, 1, 5)) == (date(2025, 12, 1),
                                                             date(2025, 12, 31))


def test_an_unknown_preset_is_refused():
    with pytest.raises(ValidationError):
        preset_period("last_fortnight", TODAY)
