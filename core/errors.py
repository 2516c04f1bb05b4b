"""The contract's error: a stable code, a Chinese message and a 4xx status.

Raised anywhere (`error("unknown_item", "…", 422)`); `ops/errors.py` turns it
into `{"error": {"code", "message"}}` on JSON routes and a short Chinese page
on pages.
"""


class ApiError(Exception):
    """An expected failure with a stable code, a Chinese message and a status."""

    def __init__(self, code: str, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        body.update(self.extra)
        return {"error": body}


def error(code: str, message: str, status: int = 400, **extra):
    """Raise an `ApiError`; views read as `error("unknown_item", "…", 422)`."""
    raise ApiError(code, message, status, **extra)
