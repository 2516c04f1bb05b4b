"""Phone numbers, ID numbers and masking."""

import pytest

from core.codes import mask_phone
from core.codes import normalize_id_number
from core.codes import normalize_phone


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("0086 138 0013 8000", "13800138000"),
        ("86-138-0013-8000", "13800138000"),
        ("(138)00138000", "13800138000"),
        ("12800138000", None),
        ("1380013800", None),
        ("138001380000", None),
        ("029-88888888", None),
        ("", None),
    ],
)
def test_normalize_phone(raw, phone):
    assert normalize_phone(raw) == phone


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("110105194912310021", None),  # wrong check digit
        ("91610118MA6U123456", "91610118MA6U123456"),
        ("1101051949123100", None),
        ("ABC", None),
    ],
)
def test_normalize_id_number(raw, value):
    assert normalize_id_number(raw) == value


def test_mask_phone():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone(None) == ""
