"""Log lines as files keep them: plain text, in Beijing time, whatever the machine's
zone and whether or not a terminal is attached. Shared by the app's logging
(ops/logs.py) and the processes that serve with werkzeug's development server
(`python app.py`, the city simulator)."""

import re
import time

from werkzeug.serving import WSGIRequestHandler

BEIJING = 8 * 3600  # UTC+8, no daylight saving: the product's one zone (core/clock.py)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def beijing_time(seconds: float | None = None) -> time.struct_time:
    """`time.localtime` for Beijing (what logging's formatters call `converter`)."""
    return time.gmtime((time.time() if seconds is None else seconds) + BEIJING)


def plain(text: str) -> str:
    """Without the colour codes werkzeug gives its request lines."""
    return ANSI.sub("", text)


class RequestHandler(WSGIRequestHandler):
    """werkzeug's request line, its date in Beijing time and without colour."""

    def log_date_time_string(self) -> str:
        return time.strftime("%d/%b/%Y %H:%M:%S", beijing_time())

    def log(self, type: str, message: str, *args) -> None:
        super().log(type, "%s", plain(message % args if args else message))
