"""Log format and scrubbing: no personal data and no secret path segments in the logs.

- `[app] log_format = "json"` writes one JSON object a line (ts, level, logger, msg, exc).
- Every record is scrubbed before any handler sees it (control characters escaped): the SMS callback token in
  `/sms/aliyun/<token>/…`, rating codes in `/r/<code>`, query strings (codes, scenes,
  `next=`), and mainland mobile numbers are masked. Names cannot be recognised by
  pattern: the code never logs them (tests/proof/test_logs.py checks a whole flow).
- `GunicornLogger` does the same for gunicorn's access log (deploy/gunicorn.conf.py).
- Plain lines in Beijing time, whatever the machine's time zone: no ANSI colour codes
  (werkzeug's request lines carry them), every handler's time at UTC+8 (the development
  server's own request line: `core.loglines.RequestHandler`).
"""

import json
import logging
import re

from core.loglines import ANSI
from core.loglines import beijing_time

_RULES = (
    # The development server's colours: a log line is plain text in a file.
    (ANSI, ""),
    (re.compile(r"/sms/aliyun/[^/\s\"?]+"), "/sms/aliyun/***"),
    (re.compile(r"/r/[^/\s\"?]+"), "/r/***"),
    (re.compile(r"(/[\w\-./%]*)\?[^\s\"]*"), r"\1?***"),
    (re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d)\d{4}(\d{4})(?!\d)"), r"\1****\2"),
)


# Colours (werkzeug's own banner) are dropped; any other control character but tab and
# newline (a NUL from a hostile path, an escape sequence aimed at the operator's terminal)
# is written as \xNN.
_COLOUR = re.compile(r"\x1b\[[0-9;]{0,12}m")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def scrub(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", _COLOUR.sub("", text))


class ScrubFilter(logging.Filter):
    """Masks secrets and phone numbers in the formatted message of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as is rather than lost
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


_FILTER = ScrubFilter()


def init_app(app) -> None:
    settings = app.config["SETTINGS"].app
    root = logging.getLogger()
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
        if settings.log_format == "json":
            handler.setFormatter(JsonFormatter())
        if handler.formatter is not None:
            handler.formatter.converter = beijing_time
    # Loggers that write request lines: filtered at the source, so that every
    # handler (also ones added later, e.g. by a test harness) gets the scrubbed text.
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", app.logger.name):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


try:
    from gunicorn.glogging import Logger as _GunicornBase
except ImportError:  # gunicorn is not needed to run the tests
    _GunicornBase = None

if _GunicornBase is not None:

    class GunicornLogger(_GunicornBase):
        """gunicorn's access log without secret path segments or query strings."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            for key, value in atoms.items():
                if isinstance(value, str):
                    atoms[key] = scrub(value)
            for key in ("q", "{query_string}e"):
                if atoms.get(key):
                    atoms[key] = "***"
            return atoms
