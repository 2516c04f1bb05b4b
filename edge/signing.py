"""Signed tokens (the mini program's session, the browser's rater cookie), stamped
by the product's clock so that their expiry follows `clock.freeze` in tests."""

from flask import current_app
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer

from core import clock


class ClockSigner(TimestampSigner):
    """Timestamps from the product's clock, so that expiry follows `clock.freeze`."""

    def get_timestamp(self) -> int:
        return int(clock.now().replace(tzinfo=clock.CST).timestamp())


def serializer(salt: str) -> URLSafeTimedSerializer:
    """A serializer signed with the app's secret key; `salt` separates the token kinds."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt, signer=ClockSigner)
