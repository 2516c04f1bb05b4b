"""Property tests (hypothesis) of the SMS reply parser and the working-day arithmetic."""

import datetime as dt
from types import SimpleNamespace

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from rectification.deadlines import add_working_days
from rectification.deadlines import is_working_day
from sms.parser import _EDGE
from sms.parser import parse_reply

FAST = settings(max_examples=200, deadline=None, derandomize=True)
# Wrapping punctuation a citizen may type around an answer (not "t"/"n": TD/N opt out).
edges = st.text(alphabet=st.sampled_from(sorted(set(_EDGE))), max_size=6)
keys_ = st.sets(st.sampled_from("ABCDE"), max_size=3).map(frozenset)


@FAST
@given(text=st.text(max_size=200), keys=keys_)
def test_any_text_parses_without_raising_to_a_well_formed_reply(text, keys):
    reply = parse_reply(text, keys)
    assert reply.kind in ("rating", "opt_out", "unclear")
    if reply.kind == "rating":
        assert reply.level is None and reply.key in keys or 1 <= reply.level <= 5
        assert reply.comment is None or (isinstance(reply.comment, str) and reply.comment.strip())
    else:
        assert reply.level is None and reply.comment is None
    assert reply.key is None or reply.key in keys


@FAST
@given(level=st.integers(1, 5), before=edges, after=edges, full_width=st.booleans())
def test_a_digit_one_to_five_wrapped_in_punctuation_is_that_level(level, before, after, full_width):
    digit = chr(ord("０") + level) if full_width else str(level)
    reply = parse_reply(before + digit + after)
    assert (reply.kind, reply.level, reply.comment) == ("rating", level, None)


@FAST
@given(level=st.integers(1, 5), comment=st.text(alphabet="排队材料窗口人多等待时间证件", min_size=2, max_size=20))
def test_a_digit_then_neutral_words_is_that_level_with_a_comment(level, comment):
    reply = parse_reply(f"{level} {comment}")
    assert (reply.kind, reply.level) == ("rating", level) and reply.comment == comment


@FAST
@given(
    before=st.text(max_size=40),
    after=st.text(max_size=40),
    word=st.sampled_from(["退订", "别再发", "不要再发", "拒收"]),
    keys=keys_,
)
def test_an_opt_out_word_anywhere_always_opts_out(before, after, word, keys):
    assert parse_reply(before + word + after, keys).kind == "opt_out"


@FAST
@given(word=st.sampled_from(["TD", "td", "T", "N", "退订", "取消订阅"]), before=edges, after=edges)
def test_an_opt_out_reply_alone_opts_out(word, before, after):
    assert parse_reply(before + word + after).kind == "opt_out"


# Working days ----------------------------------------------------------------

days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31))


@st.composite
def calendars(draw):
    holidays = draw(st.lists(days, max_size=8, unique=True))
    workdays = draw(st.lists(days.filter(lambda d: d not in holidays), max_size=4, unique=True))
    return SimpleNamespace(
        extra_holidays=[d.isoformat() for d in holidays], extra_workdays=[d.isoformat() for d in workdays]
    )


def start_of(day: dt.date, seconds: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)


starts = st.builds(start_of, days, st.integers(0, 86399))


@FAST
@given(start=starts, n=st.integers(1, 30), rect=calendars())
def test_n_working_days_later_is_a_working_day_and_never_a_configured_holiday(start, n, rect):
    due = add_working_days(start, n, rect)
    assert is_working_day(due.date(), rect)
    assert due.date().isoformat() not in rect.extra_holidays or due.date().isoformat() in rect.extra_workdays
    assert due.time() == dt.time(23, 59, 59) and due.date() > start.date()
    counted = sum(
        is_working_day(start.date() + dt.timedelta(days=i), rect)
        for i in range(1, (due.date() - start.date()).days + 1)
    )
    assert counted == n


@FAST
@given(start=starts, n=st.integers(0, 20), more=st.integers(1, 10), rect=calendars())
def test_monotonic_in_the_number_of_days(start, n, more, rect):
    assert add_working_days(start, n, rect) < add_working_days(start, n + more, rect)


@FAST
@given(first=starts, second=starts, n=st.integers(1, 15), rect=calendars())
def test_monotonic_in_the_start(first, second, n, rect):
    first, second = sorted((first, second))
    assert add_working_days(first, n, rect) <= add_working_days(second, n, rect)


@FAST
@given(start=starts, n=st.integers(0, 15), rect=calendars())
def test_n_days_equals_n_single_steps(start, n, rect):
    stepped = dt.datetime.combine(start.date(), dt.time(23, 59, 59))
    for _ in range(n):
        stepped = add_working_days(stepped, 1, rect)
    assert add_working_days(start, n, rect) == stepped
