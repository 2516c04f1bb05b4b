"""The GB/T 39734 差评 measures for any unit and period; an approved appeal
removes the rating from every figure."""

import datetime as dt

import pytest

from core import clock
from figures.rectification import period_bounds
from figures.rectification import rectification_figures
from rectification import followup
from rectification import tickets


@pytest.fixture
def november(bad_ticket, staff, make):
    """Six police 差评 and one social 差评 in November 2026, in every outcome, seen on 2026-12-10."""
    actor = staff.police_staff

    def verified(**kwargs):
        return tickets.record_verification_call(bad_ticket(**kwargs), actor, "已联系")

    def replied(**kwargs):
        ticket = tickets.resolve_on_the_spot(bad_ticket(**kwargs), actor, "已解决")
        return followup.send_reply(ticket, "已解决。", actor)

    start = dt.datetime(2026, 11, 2, 9, 0)
    satisfied = replied(at=start)
    # The 回访 is the bureau's (rectification.followup_by = "bureau").
    followup.record_followup(satisfied, "satisfied", "phone", staff.bureau)
    basic = replied(at=start + dt.timedelta(days=1))
    followup.record_followup(basic, "basically_satisfied", "phone", staff.bureau)
    unreachable = replied(at=start + dt.timedelta(days=2))
    followup.record_followup(unreachable, "unreachable", "phone", staff.bureau)
    replied(at=start + dt.timedelta(days=3))  # replied, 回访 pending
    late = tickets.start_rectification(verified(at=dt.datetime(2026, 11, 10, 9)), actor, "属实")
    clock.freeze(dt.datetime(2026, 11, 30, 9))  # due 11-17: resolved late
    tickets.complete_rectification(late, actor, "已整改")
    verified(at=dt.datetime(2026, 11, 20, 9))  # due 11-27: open and overdue
    appealed = tickets.appeal(verified(at=dt.datetime(2026, 11, 21, 9)), actor, "误评", "录音")
    tickets.decide_appeal(appealed, True, staff.bureau, "证实误评")
    bad_ticket(at=dt.datetime(2026, 11, 25, 9), department=make.social)
    bad_ticket(at=dt.datetime(2026, 12, 1, 9))  # December: outside the period
    clock.freeze(dt.datetime(2026, 12, 10, 9))


def test_measures_for_a_department_and_month(november, make):
    figures = rectification_figures("2026-11", "department", make.police)
    assert figures["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    # The approved appeal is gone from every count.
    assert figures["bad"] == 6
    assert figures["replied"] == 4 and figures["reply_rate"] == 66.67
    assert figures["followed_up"] == 2 and figures["followup_rate"] == 33.33
    assert figures["satisfied"] == 2 and figures["followup_satisfaction_rate"] == 100.0
    assert figures["resolved"] == 5 and figures["on_time"] == 4 and figures["resolved_late"] == 1
    assert figures["overdue"] == 1
    assert figures["on_time_rate"] == round(100 * 4 / 6, 2)
    assert figures["on_the_spot"] == 4 and figures["closed"] == 0


def test_basically_satisfied_can_be_left_out(november, make):
    figures = rectification_figures("2026-11", "department", make.police.id, basically_satisfied_counts=False)
    assert figures["satisfied"] == 1 and figures["followup_satisfaction_rate"] == 50.0


def test_district_wide_and_other_units(november, make):
    assert rectification_figures("2026-11")["bad"] == 7
    assert rectification_figures((dt.date(2026, 11, 1), dt.date(2026, 12, 31)))["bad"] == 8
    assert rectification_figures("2026-11", "department", make.social)["bad"] == 1
    assert rectification_figures("2026-11", "window", make.police_window)["bad"] == 6
    assert rectification_figures("2026-11", "staff", make.officer)["bad"] == 6
    assert rectification_figures("2026-11", "item", make.pension)["bad"] == 1
    assert rectification_figures("2026-11", "hall", make.hall)["bad"] == 7
    assert rectification_figures(dt.date(2026, 11, 2))["bad"] == 1


def test_empty_period_has_no_rates(ctx):
    figures = rectification_figures("2025-01")
    assert figures["bad"] == 0
    assert figures["reply_rate"] is None and figures["on_time_rate"] is None


def test_bad_arguments(ctx):
    with pytest.raises(ValueError):
        rectification_figures("2026-13")
    with pytest.raises(ValueError):
        rectification_figures("2026-11", "planet", 1)
    with pytest.raises(ValueError):
        period_bounds((dt.date(2026, 2, 1), dt.date(2026, 1, 1)))
    assert period_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
