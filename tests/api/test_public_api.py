"""Directory, labels, health, and the error shape on JSON routes and pages."""

from models import Department
from models import db


def test_departments_directory_needs_no_key(client, make):
    with db.connection_context():
        Department.create(code="OLD", name="已撤并单位", kind="district", active=False)
    body = client.get("/api/v1/departments").get_json()
    assert body[0] == {"code": "SPJ", "name": "区行政审批局", "kind": "district", "kind_name": "区级部门"}
    assert [d["code"] for d in body] == ["SPJ", "GAJ", "RSJ", "GTJD"]
    assert body[-1]["kind_name"] == "镇街"


def test_labels_dictionary(client, make):
    body = client.get("/api/v1/labels").get_json()
    assert body["version"] == "2026.1"
    assert [level["level"] for level in body["levels"]] == [5, 4, 3, 2, 1]
    assert [level["name"] for level in body["levels"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert body["levels"][3]["is_bad"] is True and body["levels"][2]["is_bad"] is False
    assert body["levels"][0]["labels"][0] == {"code": "501", "text": "服务态度热情"}


def test_labels_without_a_dictionary(client, app):
    response = client.get("/api/v1/labels")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "no_label_dictionary"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    # No scheduler process in this test: the web app is healthy, the scheduler is reported as not running.
    assert body["scheduler"]["status"] == "not_running"
    # No WeChat credentials in the test's config: the real API is named, and not configured.
    assert body["wechat"] == "not_configured" and "warning" not in body


def test_json_routes_answer_errors_in_json(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/api/v1/departments")
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"]["code"] == "method_not_allowed"


def test_pages_answer_errors_as_readable_chinese_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "页面或资源不存在" in response.get_data(as_text=True)


def test_unexpected_errors_never_leak_a_traceback(app, client):
    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "secret detail" not in response.get_data(as_text=True)


def test_a_busy_database_is_a_503_to_retry_not_a_500(app, client):
    from peewee import OperationalError

    @app.get("/api/v1/busy")
    def busy():
        raise OperationalError("database is locked")

    response = client.get("/api/v1/busy")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_busy"
    assert response.headers["Retry-After"] == "2"


def test_a_postgresql_deadlock_is_a_503_by_its_code_and_other_errors_stay_500(app, client):
    from peewee import OperationalError

    class Cause(Exception):
        def __init__(self, pgcode):
            super().__init__("deadlock detected")  # its text: no "locked" in it
            self.pgcode = pgcode

    @app.get("/api/v1/pg/<code>")
    def pg(code):
        raise OperationalError(Cause(code))

    assert client.get("/api/v1/pg/40P01").status_code == 503
    assert client.get("/api/v1/pg/40001").status_code == 503
    assert client.get("/api/v1/pg/53100").status_code == 500  # disk full: no use retrying
