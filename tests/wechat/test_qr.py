"""Scenes, the two codes of each window and staff member, and the posters."""

import io
import re

import pytest
from PIL import Image

from models import Hall
from models import PosterCache
from models import Staff
from models import Window
from models import WxaCode
from models import db
from ratings.scenes import SCENE
from ratings.scenes import resolve
from ratings.scenes import scene_for


def test_scenes_map_back_without_guessing(ctx, make):
    odd = Window.create(code="窗口-甲", name="综合窗口", hall=make.hall, department=make.social)
    long = Window.create(code="W" * 31, name="长编码窗口", hall=make.hall, department=make.social)
    cases = [
        (make.police_window, "w:W04", (make.police_window, None)),
        (make.officer, "s:S001", (make.police_window, make.officer)),
        (odd, f"wi:{odd.id}", (odd, None)),
        (long, f"wi:{long.id}", (long, None)),
    ]
    for target, scene, expected in cases:
        assert scene_for(target) == scene
        assert SCENE.match(scene) and len(scene) <= 32
        assert resolve(scene) == expected
    for bad in ("", "w:", ":W04", "x:W04", "w:W99", "wi:abc", "wi:99999", "w:W04 ", "w" * 33, None, 5):
        assert resolve(bad) is None
    make.police_window.active = False
    make.police_window.save()
    assert resolve("w:W04") is None


def test_the_mini_program_code_is_fetched_once_and_kept(client, make, fake_wx):
    first = client.get("/qr/windows/W04/wxacode.png")
    assert first.status_code == 200 and first.mimetype == "image/png"
    assert Image.open(io.BytesIO(first.data)).format == "PNG"
    second = client.get("/qr/windows/W04/wxacode.png")
    assert second.data == first.data
    assert fake_wx.calls["getwxacodeunlimit"] == 1
    with db.connection_context():
        row = WxaCode.get()
        assert (row.scene, row.page) == ("w:W04", "pages/rate/index")


def test_plain_qr_code(client, make):
    res = client.get("/qr/staff/S002/qrcode.png")
    assert res.status_code == 200
    image = Image.open(io.BytesIO(res.data))
    assert image.format == "PNG" and image.size[0] >= 290


@pytest.mark.parametrize(("errcode", "status"), [(45009, 429), (-1, 503), (41030, 502)])
def test_wechat_failures_are_clear(client, make, fake_wx, errcode, status):
    fake_wx.fail_next("getwxacodeunlimit", errcode)
    res = client.get("/qr/windows/W04/poster.png")
    assert res.status_code == status
    assert "小程序码" in res.get_data(as_text=True)
    with db.connection_context():
        assert WxaCode.select().count() == 0


@pytest.mark.settings({"wechat": {"rate_page": "pages/unpublished/index"}})
def test_an_unpublished_page_is_refused_by_wechat(client, make):
    res = client.get("/qr/windows/W04/wxacode.png")
    assert res.status_code == 502 and "41030" in res.get_data(as_text=True)


def test_window_and_staff_posters(client, make, tmp_path):
    res = client.get("/qr/windows/W04/poster.png")
    (tmp_path / "poster.png").write_bytes(res.data)
    assert res.status_code == 200
    poster = Image.open(io.BytesIO(res.data))
    assert poster.size == (1240, 1754)
    # Both codes are on the page: dark modules in the left and right halves of the code band.
    band = poster.convert("L").crop((0, 720, 1240, 1120))
    assert band.crop((0, 0, 620, 400)).getextrema()[0] < 50
    assert band.crop((620, 0, 1240, 400)).getextrema()[0] < 50
    assert client.get("/qr/staff/S001/poster.png").status_code == 200
    assert client.get("/qr/windows/NOPE/poster.png").status_code == 404
    assert client.get("/qr/things/W04/poster.png").status_code == 404


def test_all_posters_of_a_hall_in_one_pdf(client, make):
    with db.connection_context():
        other = Hall.create(code="GTZ", name="甘亭街道便民服务中心", department=make.town)
        Window.create(code="G01", name="综合窗口", hall=other, department=make.town)
        Staff.create(code="S009", name="赵强", department=make.police, window=None)
    res = client.get("/qr/halls/SMZJ/posters.pdf")
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert res.data.startswith(b"%PDF")
    # Two windows and their two staff; not the other hall's window, not staff without a window.
    assert len(re.findall(rb"/Type\s*/Page(?!s)", res.data)) == 4
    assert client.get("/qr/halls/NOPE/posters.pdf").status_code == 404


def test_a_hall_pdf_is_drawn_once_per_change_and_revalidated_by_etag(client, make, monkeypatch):
    from wechat import posters

    drawn = []
    real = posters._draw
    monkeypatch.setattr(posters, "_draw", lambda *args: drawn.append(args[0]) or real(*args))
    first = client.get("/qr/halls/SMZJ/posters.pdf")
    assert first.status_code == 200 and first.headers["ETag"]
    assert "max-age=300" in first.headers["Cache-Control"] and "public" in first.headers["Cache-Control"]
    again = client.get("/qr/halls/SMZJ/posters.pdf")
    assert again.data == first.data and drawn == ["hall"]  # read back, not drawn again
    unchanged = client.get("/qr/halls/SMZJ/posters.pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and not unchanged.data
    with db.connection_context():
        Window.update(name="户籍窗口（新）").where(Window.code == "W04").execute()
    changed = client.get("/qr/halls/SMZJ/posters.pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert drawn == ["hall", "hall"]
    with db.connection_context():
        assert PosterCache.select().count() == 1  # one kept copy per hall, replaced on change
