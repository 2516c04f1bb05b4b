"""Property tests (hypothesis) of every parser at the edge: whatever text or bytes come
in, each one answers with a value in its range or its own refusal — never another
exception (the 500s of issue 16 were a RecursionError, a ValueError from int("²"),
an OverflowError from a time zone conversion, a ParseError from an upload).

Parsers: the integer parser (core/numbers.py) and the route converter built on it,
ISO times and dates (core/clock.py), months (figures), the JSON body decoder
(edge/json.py), the 回访 answer, the paper form's level, the upload reader. The SMS
reply parser and the working days have theirs in test_properties.py.
"""

import datetime as dt
import json
import string
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.routing import ValidationError

from admin.importers import reader
from admin.importers.paper import _level
from core import clock
from core.errors import ApiError
from core.numbers import INT32_MAX
from core.numbers import to_int
from edge import json as edge_json
from edge.params import IdConverter
from figures.ratings import month_range
from rectification.followup import followup_choice

FAST = settings(max_examples=300, deadline=None, derandomize=True)
DIGITS_ELSEWHERE = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९"  # Arabic-Indic, Persian, Devanagari
numberish = st.text(alphabet=string.digits + "０１２３４５６７８９²³¹①②⑨" + DIGITS_ELSEWHERE + " +-.e_", max_size=25)
anything = st.one_of(st.text(max_size=60), numberish)


@FAST
@given(text=anything, lo=st.integers(0, 10), span=st.integers(0, 10**12))
def test_the_integer_parser_answers_a_number_in_range_or_none(text, lo, span):
    value = to_int(text, lo, lo + span)
    assert value is None or (type(value) is int and lo <= value <= lo + span)


@FAST
@given(number=st.integers(0, INT32_MAX), width=st.booleans(), pad=st.sampled_from(["", " ", "\t"]))
def test_ascii_and_full_width_digits_read_as_themselves(number, width, pad):
    text = str(number)
    if width:
        text = text.translate(str.maketrans(string.digits, "０１２３４５６７８９"))
    assert to_int(pad + text + pad) == number


@FAST
@given(number=st.integers(1, 10**6), junk=st.sampled_from(["-", "+", ".0", "e3", "x", "٣"]))
def test_signs_decimals_and_other_scripts_are_not_numbers(number, junk):
    assert to_int(junk + str(number)) is None
    assert to_int(str(number) + junk) is None


@FAST
@given(text=st.text(alphabet=string.digits, min_size=1, max_size=30))
def test_the_route_converter_takes_ids_of_the_database_or_nothing(text):
    converter = IdConverter(None)
    try:
        value = converter.to_python(text)
    except ValidationError:
        assert int(text) > INT32_MAX
    else:
        assert value == int(text) <= INT32_MAX


iso_like = st.one_of(
    st.text(max_size=45),
    st.builds(
        lambda moment, offset: moment.isoformat() + offset,
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)),
        st.sampled_from(["", "Z", "+14:00", "-12:00", "+08:00", "+00:00"]),
    ),
)


@FAST
@given(text=iso_like)
def test_times_parse_into_the_products_range_or_raise_value_error(text):
    try:
        value = clock.parse_iso(text)
    except ValueError:
        return
    assert clock.EARLIEST <= value < clock.LATEST and value.tzinfo is None


@FAST
@given(text=st.one_of(st.text(max_size=12), st.dates().map(dt.date.isoformat)))
def test_dates_and_months_parse_into_the_range_or_not_at_all(text):
    day = clock.parse_date(text)
    assert day is None or clock.EARLIEST.date() <= day < clock.LATEST.date()
    try:
        start, end = month_range(text[:7])
    except ValueError:
        return
    assert start.day == 1 and end > start and clock.EARLIEST.date() <= start < clock.LATEST.date()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20,
)


@FAST
@given(data=st.binary(max_size=300) | st.text(alphabet='[]{}":,0123456789aeflnrstu \\', max_size=300).map(str.encode))
def test_any_body_decodes_or_is_a_4xx(data):
    try:
        edge_json.decode(data, 1024)
    except ApiError as exc:
        assert 400 <= exc.status < 500


@FAST
@given(value=json_values, depth=st.integers(0, 60))
def test_json_nested_past_the_limit_is_refused_and_within_it_decoded(value, depth):
    document = value
    for _ in range(depth):
        document = [document]
    data = json.dumps(document).encode()
    if edge_json.deeper_than(document, edge_json.MAX_DEPTH):
        with pytest.raises(ApiError) as refused:
            edge_json.decode(data, 10**6)
        assert refused.value.code == "json_too_deep"
    else:
        assert edge_json.decode(data, 10**6) == json.loads(data)


def test_a_body_of_a_hundred_thousand_brackets_is_a_400():
    with pytest.raises(ApiError) as refused:
        edge_json.decode(b"[" * 100_000, 10**6)
    assert refused.value.status == 400 and refused.value.code in ("json_too_deep", "invalid_json")


SCALE = SimpleNamespace(followup_scale=["satisfied", "basically_satisfied", "unsatisfied"])


@FAST
@given(text=st.one_of(st.text(max_size=20), numberish))
def test_a_followup_answer_is_a_scale_option_or_none(text):
    assert followup_choice(text, SCALE) in (None, *SCALE.followup_scale)


@FAST
@given(text=st.one_of(st.text(max_size=12), numberish))
def test_a_paper_level_is_one_to_five_or_none(text):
    assert _level(text) in (None, 1, 2, 3, 4, 5)


@FAST
@given(body=st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_uploaded_csv_reads_or_is_refused_with_a_message(body):
    try:
        header, rows = reader.read_rows("upload.csv", body)
    except reader.UnreadableFile as exc:
        assert str(exc)
        return
    assert all(isinstance(number, int) and isinstance(row, dict) for number, row in rows)
