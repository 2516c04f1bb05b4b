"""The month cycle run by the scheduler on a controllable clock: reminders from the 25th,
the close on the 30th (the last day of a shorter month), the frozen report served by the
xlsx, the page and the JSON, and late data as 补报 in the next report, never in the closed one."""

import datetime as dt
import io

from openpyxl import load_workbook

from admin import importers
from core import clock
from figures import period
from figures.snapshot import MonthData
from jobs.runner import load_table
from jobs.runner import run_job
from models import Hall
from models import MonthReport
from models import Notification
from models import Outbox
from models import Window
from models import db


def job(app, job_id: str):
    """Run one job of the scheduler's table, as the scheduler process does."""
    spec = next(s for s in load_table(app.config["SETTINGS"].jobs) if s.id == job_id)
    return run_job(app, spec)


def paper(month_day: str, forms: int) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["单位编码", "窗口编码", "评价日期", "评价等级", "份数"])
    wb.active.append(["GTJD", "GTJD-BM-01", month_day, "满意", forms])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def town_rated(client, month: str) -> int:
    body = client.get(f"/public/results.json?month={month}").get_json()
    return next(d["rated"] for d in body["departments"] if d["code"] == "GTJD")


def test_a_closed_month_keeps_its_report_and_late_data_is_the_next_reports_amendment(app, make, ratings, login):
    client = app.test_client()
    with app.app_context(), db.connection_context():
        hall = Hall.create(code="GTJD-BM", name="甘亭街道便民服务中心", department=make.town)
        Window.create(code="GTJD-BM-01", name="综合受理窗口", hall=hall, department=make.town)
        for level in (5, 4, 1):
            ratings.rate(level, at=dt.datetime(2026, 10, 12, 10))
        importers.run("paper", "十月.xlsx", paper("2026-10-20", 4), "user:bureau", month="2026-10")
    # Not yet: the 30th, 22:59 (the first run closes the month before, never closed: a catch-up).
    clock.freeze(dt.datetime(2026, 10, 30, 22, 59))
    assert job(app, "month.close") == ["2026-09"]
    clock.freeze(dt.datetime(2026, 10, 30, 23, 0))
    assert job(app, "month.close") == ["2026-10"]
    assert job(app, "month.close") == []  # once
    before = client.get("/public/results.json?month=2026-10").get_json()
    assert before["closed_at"] == "2026-10-30T23:00:00+08:00" and before["version"] == 1
    assert before["district"]["rated"] == 7 and town_rated(client, "2026-10") == 4
    # A late paper import dated in October (handed in on 5 November).
    clock.freeze(dt.datetime(2026, 11, 5, 10, 0))
    with app.app_context(), db.connection_context():
        report = importers.run("paper", "十月补交.xlsx", paper("2026-10-28", 6), "user:bureau", month="2026-10")
        assert report.ok and report.written["ratings"] == 6
    # October as published does not move: page, JSON and xlsx serve the frozen report …
    assert client.get("/public/results.json?month=2026-10").get_json() == before
    page = client.get("/public/results?month=2026-10").get_data(as_text=True)
    assert '<b id="total-rated">7</b>' in page and "2026-10-30 23:00 关闭（第 1 版）" in page
    bureau = login("bureau")
    xlsx = bureau.get("/admin/reports/monthly.xlsx?month=2026-10")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("sheet"), (xlsx.mimetype, xlsx.data[:300])
    october = load_workbook(io.BytesIO(xlsx.data))
    assert "2026-10-30 23:00 关闭（第 1 版）" in october.worksheets[0]["A2"].value
    assert [r[3] for r in october.worksheets[0].iter_rows(values_only=True) if r[1] == "甘亭街道"] == [4]
    # … while the live figures (the dashboard) count the forms in October,
    dashboard = bureau.get(f"/admin/?month=2026-10&department={make.town.id}").get_data(as_text=True)
    assert 'id="m-rated">10<' in dashboard
    # … and November's report lists them as 补报 of October.
    with app.app_context(), db.connection_context():
        pending = MonthData("2026-11")["amendments"]
    assert [
        (a["month"], [(u["code"], u["delta"]["rated"], u["delta"]["l4"]) for u in a["units"]]) for a in pending
    ] == [("2026-10", [("GTJD", 6, 6)])]
    reports_page = bureau.get("/admin/reports?month=2026-11").get_data(as_text=True)
    assert "2026-10" in reports_page.split('id="amendments"')[1].split("</table>")[0]
    assert "补报" in client.get("/public/results?month=2026-11").get_data(as_text=True)
    # November closes on its 30th: the amendment is frozen into it, and recorded once.
    clock.freeze(dt.datetime(2026, 11, 30, 23, 5))
    assert job(app, "month.close") == ["2026-11"]
    bureau = login("bureau")  # a new day, a new session
    november = load_workbook(io.BytesIO(bureau.get("/admin/reports/monthly.xlsx?month=2026-11").data))
    amended = [r for r in november["补报"].iter_rows(values_only=True) if r[0] == "2026-10"]
    assert amended == [("2026-10", "甘亭街道", 6, 0, 6, 0, 0, 0, 0, 0)]
    clock.freeze(dt.datetime(2026, 12, 3, 9, 0))
    with app.app_context(), db.connection_context():
        assert MonthData("2026-12")["amendments"] == []
        # Later late data: only the new difference is pending.
        importers.run("paper", "十月再补.xlsx", paper("2026-10-29", 2), "user:bureau", month="2026-10")
        assert [u["delta"]["rated"] for a in MonthData("2026-12")["amendments"] for u in a["units"]] == [2]
    # A re-issue is a new version of October, with every late form in it; nothing stays pending.
    result = app.test_cli_runner().invoke(args=["report", "close", "--month", "2026-10", "--reissue"])
    assert result.exit_code == 0 and "version 2" in result.output
    assert town_rated(client, "2026-10") == 12
    with app.app_context(), db.connection_context():
        assert MonthData("2026-12")["amendments"] == []
        assert [r.version for r in MonthReport.select().where(MonthReport.month == "2026-10")] == [1, 2]


def test_reminders_from_the_25th_by_notification_and_sms_then_the_close(app, make, staff, login):
    with app.app_context(), db.connection_context():
        from figures import submissions

        police_admin = staff["police_admin"]
        submissions.set_contact(make.police, "赵敏", "13912345678", staff["police_staff"].id, police_admin)
        submissions.set_contact(make.social, "钱伟", "13700001111", None, staff["bureau"])
    clock.freeze(dt.datetime(2026, 11, 24, 23, 0))
    assert job(app, "month.remind") == 0
    police = login("police_admin")
    assert "本月好差评数据待报送" not in police.get("/admin/").get_data(as_text=True)
    clock.freeze(dt.datetime(2026, 11, 25, 9, 0))
    assert job(app, "month.remind") == 3  # the police, the social department and the town
    assert job(app, "month.remind") == 0  # a second run reminds nobody again
    with app.app_context(), db.connection_context():
        notes = {n.department_id for n in Notification.select().where(Notification.kind == "month.reminder")}
        assert notes == {make.police.id, make.social.id, make.town.id}  # never the bureau itself
        sms = [row.data for row in Outbox.select().where(Outbox.kind == "sms.message")]
        assert sorted(d["phone"] for d in sms) == ["13700001111", "13912345678"]  # the town has no contact
        assert all("本月好差评数据待报送" in d["text"] and "11月30日23:00" in d["text"] for d in sms)
        assert "13912345678" not in "".join(r.payload for r in Outbox.select())  # sealed at rest
    police = login("police_admin")
    page = police.get("/admin/").get_data(as_text=True)
    assert "本月好差评数据待报送" in page and 'id="month-due"' in page
    assert police.post("/admin/month/submit", {"month": "2026-11", "comment": "已核对"}).status_code == 302
    assert "本月好差评数据待报送" not in police.get("/admin/").get_data(as_text=True)
    # The close day: one last reminder to those who still owe, then the close.
    clock.freeze(dt.datetime(2026, 11, 30, 9, 0))
    assert job(app, "month.remind") == 2
    clock.freeze(dt.datetime(2026, 11, 30, 23, 0))
    assert job(app, "month.close") == ["2026-10", "2026-11"]  # October never closed: caught up
    clock.freeze(dt.datetime(2026, 11, 30, 23, 30))
    assert job(app, "month.remind") == 0  # closed: nothing more to hand in


@__import__("pytest").mark.settings({"month": {"close_day": 31, "close_time": "18:00", "remind_day": 28}})
def test_a_shorter_month_closes_on_its_last_day(app, make):
    with app.app_context():
        assert period.close_at("2026-11") == dt.datetime(2026, 11, 30, 18, 0)
        assert period.close_at("2027-02") == dt.datetime(2027, 2, 28, 18, 0)
        assert period.close_at("2026-12") == dt.datetime(2026, 12, 31, 18, 0)
        assert period.remind_from("2027-02") == dt.datetime(2027, 2, 28)
    clock.freeze(dt.datetime(2026, 11, 30, 17, 59))
    assert "2026-11" not in job(app, "month.close")
    clock.freeze(dt.datetime(2026, 11, 30, 18, 0))
    assert job(app, "month.close") == ["2026-11"]


def test_the_scheduler_catches_up_a_missed_close(app, make):
    # Down on the 30th: the next run, in December, closes November.
    clock.freeze(dt.datetime(2026, 12, 2, 8, 0))
    assert job(app, "month.close") == ["2026-11"]
    with app.app_context(), db.connection_context():
        assert MonthReport.latest("2026-11").closed_by == "scheduler"
        assert Notification.select().where(Notification.kind == "month.closed").count() == 1


def test_report_close_command(app, make, runner):
    assert runner.invoke(args=["report", "close", "--month", "2026-13"]).exit_code == 2
    future = runner.invoke(args=["report", "close", "--month", "2026-12"])
    assert future.exit_code == 2 and "has not begun" in future.output
    # The current month may be closed (the 30th falls inside it).
    first = runner.invoke(args=["report", "close", "--month", "2026-11"])
    assert first.exit_code == 0 and "Closed 2026-11: version 1, frozen at 2026-11-26 10:00" in first.output
    again = runner.invoke(args=["report", "close", "--month", "2026-11"])
    assert again.exit_code == 0 and "already closed" in again.output
    with app.app_context(), db.connection_context():
        assert MonthReport.select().count() == 1 and MonthReport.get().closed_by == "cli"
