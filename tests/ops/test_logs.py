"""Log lines as they land in files: plain text (no ANSI colour codes), times in Beijing time
whatever the machine's zone — the app's handlers and the development server's request line."""

import io
import logging
import os
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import requests

from core import config
from core.loglines import beijing_time
from ops import logs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# 2026-12-01 00:00:00 UTC is 08:00 in Beijing.
MIDNIGHT_UTC = 1796083200.0


def test_a_coloured_request_line_is_written_plain_in_beijing_time():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [handler]
    try:
        settings = config.load({}, environ={})
        logs.init_app(SimpleNamespace(config={"SETTINGS": settings}, logger=logging.getLogger("app")))
        args = ("127.0.0.1", "\x1b[32mPOST /admin/login HTTP/1.1\x1b[0m", "302")
        record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s', args, None)
        record.created, record.msecs = MIDNIGHT_UTC, 0
        handler.handle(record)
    finally:
        root.handlers[:] = saved
    line = stream.getvalue()
    assert "\x1b" not in line
    assert line.startswith('2026-12-01 08:00:00,000 INFO werkzeug: 127.0.0.1 - - "POST /admin/login HTTP/1.1" 302')


def test_beijing_time_is_utc_plus_eight():
    assert time.strftime("%Y-%m-%d %H:%M", beijing_time(MIDNIGHT_UTC)) == "2026-12-01 08:00"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_development_server_writes_plain_beijing_lines_to_its_file(tmp_path):
    port = _free_port()
    conf = tmp_path / "hcp.toml"
    conf.write_text(f'[app]\nsecret_key = "t"\n[database]\nurl = "sqlite:///{tmp_path}/hcp.db"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env.update({"HCP_CONFIG": str(conf), "PORT": str(port), "TZ": "UTC"})
    log_path = tmp_path / "web.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        before = time.time()
        assert requests.get(f"http://127.0.0.1:{port}/no-such-page", timeout=5).status_code == 404
        assert requests.post(f"http://127.0.0.1:{port}/admin/login", timeout=5).status_code in (302, 400)
        after = time.time()
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log_path.read_text()
    assert "GET /no-such-page" in text and "POST /admin/login" in text
    assert "\x1b" not in text  # werkzeug colours a 404 and a redirect on a terminal
    stamps = {time.strftime("%d/%b/%Y %H:%M", beijing_time(t)) for t in (before, after)}
    line = next(line for line in text.splitlines() if "GET /no-such-page" in line)
    assert any(f"[{stamp}" in line for stamp in stamps), line
    prefixes = {time.strftime("%Y-%m-%d %H:%M", beijing_time(t)) for t in (before, after)}
    assert any(line.startswith(prefix) for prefix in prefixes), line
