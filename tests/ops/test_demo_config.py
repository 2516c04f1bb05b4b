"""bin/serve's demo configuration: `PORT` and `SIM_PORT` flow into every link the product
hands out and into the push to the local city simulator (a newcomer's `PORT=5100 bin/serve`
must not hand out port 5000), the simulator's secret survives a restart, and a bad port is
refused before anything is written."""

import pytest

from app import create_app
from core import clock
from core import config
from demo import config as demo_config
from models import db

from ..conftest import NOW
from ..conftest import only_this_config
from ..factories import Factory


def test_the_ports_flow_into_the_settings_and_the_secret_is_kept(tmp_path):
    path = tmp_path / "instance" / "demo.toml"
    assert demo_config.main(["5100", "8710", str(path)]) == 0
    settings = config.load(environ={"HCP_CONFIG": str(path)})
    assert settings.app.base_url == "http://127.0.0.1:5100"
    assert settings.upstream.url == "http://127.0.0.1:8710/push"
    assert settings.upstream.query_url == "http://127.0.0.1:8710/query"
    assert settings.wechat.provider == "fake"
    secret = settings.upstream.app_secret
    assert len(secret) == 32

    demo_config.main(["5200", "8720", str(path)])  # the next start, other ports
    again = config.load(environ={"HCP_CONFIG": str(path)})
    assert (again.app.base_url, again.upstream.url) == ("http://127.0.0.1:5200", "http://127.0.0.1:8720/push")
    assert again.upstream.app_secret == secret


@pytest.mark.parametrize("args", [["0", "8700"], ["5100", "70000"], ["50a0", "8700"], ["5100"]])
def test_a_bad_port_is_refused_and_nothing_is_written(tmp_path, args):
    path = tmp_path / "demo.toml"
    with pytest.raises(SystemExit):
        demo_config.main([*args, str(path)])
    assert not path.exists()


def test_a_case_created_under_the_demo_config_links_to_the_demo_port(tmp_path, database_url, monkeypatch):
    path = tmp_path / "demo.toml"
    demo_config.main(["5100", "8710", str(path)])
    only_this_config(monkeypatch, path, tmp_path)
    clock.freeze(NOW)
    try:
        app = create_app({"app": {"secret_key": "test-secret"}, "database": {"url": database_url}})
        with app.app_context(), db.connection_context():
            make = Factory()
            make.master_data()
        resp = app.test_client().post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
        assert resp.status_code == 201, resp.get_json()
        assert resp.get_json()["rating_url"].startswith("http://127.0.0.1:5100/r/")
    finally:
        clock.freeze(None)
        db.obj.close_all()
