"""Cookie sessions for the pages only.

The admin and the H5 pages keep a signed cookie session (login, CSRF token). The
machine APIs — `/api/…` (department keys, the mini program's bearer tokens) and
Aliyun's `/sms/…` callbacks — authenticate every request by its header and never
read a session, so they get none: Flask would otherwise build a signing serializer
and parse cookies on every rating (a tenth of the endpoint's framework time).
"""

from flask.sessions import SecureCookieSessionInterface

SESSIONLESS = ("/api/", "/sms/")


class PageSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if request.path.startswith(SESSIONLESS):
            return self.null_session_class()
        return super().open_session(app, request)


def init_app(app) -> None:
    app.session_interface = PageSessionInterface()
