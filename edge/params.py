"""Numbers and dates from query strings, forms and URL paths, read one way.

Every view reads an integer parameter through `arg_int` / `form_int` (the parser
and its normalisation are `core.numbers.to_int`) and a date through `arg_date`. A
filter, an id or a page number that is missing, malformed or out of range counts as
not given: the page shows what it shows without that filter (a readable page, never a
500), and an action that needs the value says so as it does for an empty field.
`<int:…>` in a route takes ASCII digits up to `INT32_MAX` only, so a path never
carries a number the database cannot hold (a 404 instead).
"""

import datetime as dt

from flask import request
from werkzeug.routing import IntegerConverter
from werkzeug.routing import ValidationError

from core import clock
from core.numbers import INT32_MAX
from core.numbers import to_int

# Far beyond any listing, far below an OFFSET that overflows.
PAGE_MAX = 100_000


def arg_int(name: str, default=None, lo: int = 1, hi: int = INT32_MAX, args=None):
    """The query (or `args`) parameter `name` as an integer in lo..hi, else `default`."""
    value = to_int((request.args if args is None else args).get(name), lo, hi)
    return default if value is None else value


def form_int(name: str, default=None, lo: int = 1, hi: int = INT32_MAX):
    """The form field `name` as an integer in lo..hi, else `default`."""
    return arg_int(name, default, lo, hi, args=request.form)


def page_arg(name: str = "page") -> int:
    """A listing's page number: 1 unless a page in 1..PAGE_MAX is asked for."""
    return arg_int(name, 1, 1, PAGE_MAX)


def arg_date(name: str) -> dt.date | None:
    """The query parameter `name` as an ISO date within the product's range, else None."""
    return clock.parse_date(request.args.get(name))


class IdConverter(IntegerConverter):
    """`<int:…>` for ids: ASCII digits only (werkzeug's `\\d` takes any script's digits),
    at most a PostgreSQL integer; anything else does not match the route (404)."""

    regex = r"[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        number = to_int(value, 0, INT32_MAX)
        if number is None:
            raise ValidationError()
        return number


def init_app(app) -> None:
    """Before any blueprint is registered: the routes compile with these converters."""
    app.url_map.converters["int"] = IdConverter
