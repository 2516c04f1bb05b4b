"""The pages whose libraries a web worker loads at first use (openpyxl for the import
templates and uploads, Pillow for the QR posters: tests/perf/test_worker_imports.py keeps
them out of start-up), walked in Chromium by the bureau against a worker started fresh in
its own process — where the first download and the first upload are what import them."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from models import db

from .test_browser import browser  # noqa: F401
from .test_browser import log_in
from .test_browser_pages import download
from .test_browser_pages import upload

ROOT = Path(__file__).resolve().parents[2]
LAZY = ("openpyxl", "PIL")
SERVE = (
    "import json, sys\n"
    "from werkzeug.serving import make_server\n"
    "from app import create_app\n"
    "http = make_server('127.0.0.1', 0, create_app(json.loads(sys.argv[1])), threaded=True)\n"
    f"print(http.server_port, ','.join(m for m in {LAZY!r} if m in sys.modules), flush=True)\n"
    "http.serve_forever()\n"
)


@pytest.fixture
def cold_server(app, staff, make, settings_overrides, tmp_path):
    """The test's database and settings, served by a new Python process."""
    db.obj.close_all()  # the rows are committed; the worker opens its own connections
    empty = tmp_path / "cold.toml"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env["HCP_CONFIG"] = str(empty)
    # The in-process fake WeChat, as the demo runs it: it makes the posters' mini-program codes.
    settings = {**settings_overrides, "wechat": {**settings_overrides.get("wechat", {}), "provider": "fake"}}
    proc = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", SERVE, json.dumps(settings)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port, loaded = proc.stdout.readline().split(" ")
        assert loaded.strip() == "", f"loaded at start-up: {loaded.strip()}"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_the_bureau_downloads_a_template_imports_it_and_draws_posters_on_a_fresh_worker(
    browser,  # noqa: F811
    cold_server,
    make,
    tmp_path,
):
    page = log_in(browser, cold_server, "bureau")
    page.goto(cold_server + "/admin/imports")
    name, data = download(page, "事项清单")
    assert name == "事项清单.xlsx"
    wb = load_workbook(io.BytesIO(data))
    wb["事项清单"].append(["610118-GAJ-202", "临时身份证明", "公共服务", "GAJ", "是"])
    upload(page, wb, tmp_path / "事项清单.xlsx", "catalogue")
    expect(page.locator("#import-ok")).to_contain_text("共 1 行")

    for kind, magic in (("window", b"\x89PNG"), ("hall", b"%PDF")):
        page.goto(f"{cold_server}/admin/master/{kind}")
        with page.expect_download() as info:
            page.click("main a:text-is('评价海报') >> nth=0")
        with open(info.value.path(), "rb") as fh:
            assert fh.read(4) == magic, kind
    page.context.close()
