"""The pages the backend sends citizens to exist in the mini program it ships.

A window's wxacode opens `[wechat] rate_page` (wxacode.getUnlimited with
check_path refuses a page the published version lacks), and a reply's
subscribe message opens `[wechat.reply_template] page`; both must be pages of
`miniprogram/app.json`, as configured by default and as documented.
"""

import json
import tomllib
from pathlib import Path

from core.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
MINIPROGRAM = ROOT / "miniprogram"


def pages() -> list[str]:
    return json.loads((MINIPROGRAM / "app.json").read_text(encoding="utf-8"))["pages"]


def documented() -> dict:
    return tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))["wechat"]


def test_the_wxacode_page_is_the_mini_programs_rate_page():
    rate_page = DEFAULTS["wechat"]["rate_page"]
    assert rate_page == documented()["rate_page"]
    assert rate_page == "pages/rate/index"
    assert rate_page in pages()
    # A bare launch (the mini program opened from WeChat's list) lands on it too.
    assert pages()[0] == rate_page


def test_the_reply_message_opens_my_ratings():
    page = DEFAULTS["wechat"]["reply_template"]["page"]
    assert page == documented()["reply_template"]["page"]
    assert page in pages()


def test_every_page_of_app_json_is_in_the_repository():
    for page in pages():
        for ext in ("js", "json", "wxml", "wxss"):
            assert (MINIPROGRAM / f"{page}.{ext}").is_file(), f"{page}.{ext}"
