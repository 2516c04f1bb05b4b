"""Logs: no phone number, name, rating code or callback token in any log line of an
end-to-end flow on a live server (werkzeug's request log included); the JSON format."""

import json
import logging
import re
from types import SimpleNamespace

import requests

from core import config
from ops import logs
from sms.inbox import process_inbox
from sms.sender import send_due

from .conftest import CALLBACK_TOKEN

PHONE, NAME, H5_PHONE = "13800138000", "张三", "13912345678"


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        if not record.name.startswith("peewee"):  # the SQL echo is the database layer's, at DEBUG only
            self.lines.append((record.name, record.getMessage()))


def test_no_personal_data_or_secret_in_the_logs_of_a_whole_flow(app, live, world):
    collect = Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    try:
        auth = world.auth(world.police_key)
        case = requests.post(
            f"{live}/api/v1/cases",
            json=world.case_payload("GA-LOG-1", applicant={"name": NAME, "phone": PHONE}),
            headers=auth,
            timeout=10,
        ).json()
        code = case["rating_code"]
        with app.app_context():
            send_due()
        h5 = requests.Session()
        page = h5.get(f"{live}/r/{code}", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        done = h5.post(
            f"{live}/r/{code}",
            data={"csrf_token": token, "level": "1", "comment": f"{NAME}的材料被退回", "phone": H5_PHONE},
            timeout=10,
        )
        assert done.status_code == 200 and "感谢" in done.text
        requests.get(f"{live}/api/wx/rating-context?code={code}", headers={"Authorization": "Bearer x"}, timeout=10)
        up = [{"phone_number": PHONE, "content": f"5 {NAME}", "sequence_id": "77", "send_time": "2026-11-26 10:00:00"}]
        assert requests.post(f"{live}/sms/aliyun/{CALLBACK_TOKEN}/up", json=up, timeout=10).status_code == 200
        with app.app_context():
            process_inbox()
            send_due()
    finally:
        root.removeHandler(collect)
        root.setLevel(old_level)
    text = "\n".join(message for _, message in collect.lines)
    assert any(name == "werkzeug" for name, _ in collect.lines), "the request log was captured"
    assert "/sms/aliyun/***/up" in text and "/r/***" in text
    for secret in (PHONE, H5_PHONE, NAME, code, CALLBACK_TOKEN, "Bearer"):
        assert secret not in text, secret


def test_scrub_masks_paths_queries_and_phone_numbers():
    line = '127.0.0.1 - - "GET /r/AB12CD34E/thanks?x=1 HTTP/1.1" 200 / POST /sms/aliyun/tok-123/up 手机 +8613800138000'
    cleaned = logs.scrub(line)
    assert "AB12CD34E" not in cleaned and "tok-123" not in cleaned and "13800138000" not in cleaned
    assert "/r/***" in cleaned and "/sms/aliyun/***/up" in cleaned and "138****8000" in cleaned
    assert logs.scrub("GET /api/wx/rating-context?code=SECRET1") == "GET /api/wx/rating-context?***"
    assert logs.scrub("rating 12 stored: level=5") == "rating 12 stored: level=5"


def test_scrub_escapes_control_characters_and_drops_colours():
    assert logs.scrub("GET /api/v1/cases/a\x00b") == "GET /api/v1/cases/a\\x00b"
    assert logs.scrub("\x1b]0;owned\x07 x") == "\\x1b]0;owned\\x07 x"  # a terminal title escape, defused
    assert logs.scrub("\x1b[31m\x1b[1mWARNING\x1b[0m") == "WARNING"  # werkzeug's banner colours
    assert logs.scrub("Traceback:\n\tline") == "Traceback:\n\tline"


def test_json_log_format():
    handler = logging.StreamHandler()
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [handler]  # only this handler gets the JSON format (not pytest's own)
    try:
        settings = config.load({"app": {"log_format": "json"}}, environ={})
        logs.init_app(SimpleNamespace(config={"SETTINGS": settings}, logger=logging.getLogger("app")))
        assert isinstance(handler.formatter, logs.JsonFormatter)
        record = logging.LogRecord("sms.sender", logging.INFO, __file__, 1, "sent to %s", (PHONE,), None)
        assert logs.ScrubFilter().filter(record)
        entry = json.loads(handler.formatter.format(record))
    finally:
        root.handlers[:] = saved
    assert entry["level"] == "INFO" and entry["logger"] == "sms.sender"
    assert entry["msg"] == "sent to 138****8000" and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$", entry["ts"])


def test_gunicorn_access_log_is_scrubbed_and_the_deploy_files_fit_together():
    import datetime as dt
    import pathlib
    import runpy

    from gunicorn.config import Config

    root = pathlib.Path(__file__).resolve().parents[2]
    conf = runpy.run_path(str(root / "deploy/gunicorn.conf.py"))
    assert conf["logger_class"] == "ops.logs.GunicornLogger" and conf["bind"].startswith("127.0.0.1:")
    logger = logs.GunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/sms/aliyun/{CALLBACK_TOKEN}/up?x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": f"/sms/aliyun/{CALLBACK_TOKEN}/up",
        "QUERY_STRING": "code=ABCDEFGH",
        "HTTP_REFERER": "https://hcp.example.cn/r/ABCDEFGH",
    }
    atoms = logger.atoms(SimpleNamespace(status="200 OK", sent=2, headers=[]), [], environ, dt.timedelta(seconds=0.01))
    flat = json.dumps(atoms, default=str)
    assert CALLBACK_TOKEN not in flat and "ABCDEFGH" not in flat
    web = (root / "deploy/hcp-web.service").read_text()
    assert "deploy/gunicorn.conf.py 'app:create_app()'" in web and "Restart=always" in web
    assert "flask --app app jobs run" in (root / "deploy/hcp-jobs.service").read_text()
    nginx = (root / "deploy/nginx.conf").read_text()
    assert "X-Forwarded-Proto" in nginx and "location = /metrics" in nginx
