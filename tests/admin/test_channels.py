"""The staff view of SMS invitations and of the push to the city system."""

import datetime

from core import clock
from jobs.runner import load_table
from models import JobRun
from models import Outbox
from models import Rating
from models import SchedulerProcess
from models import UpstreamPush
from models import db


def report_case(client, make, case_no, key=None, dept="GAJ", item="610118-GAJ-001", phone="13800138000"):
    payload = make.case_payload(
        case_no, dept_code=dept, item_code=item, staff_code=None, window_code=None, applicant={"phone": phone}
    )
    response = client.post("/api/v1/cases", json=payload, headers=make.auth(key or make.police_key))
    assert response.status_code == 201, response.get_json()


def test_every_invitation_is_listed_with_its_state_and_masked_phone(client, make, login):
    report_case(client, make, "GA-1")
    report_case(client, make, "RS-1", key=make.social_key, dept="RSJ", item="610118-RSJ-001", phone="13900139000")
    page = login("bureau").get("/admin/invitations").get_data(as_text=True)
    assert "GA-1" in page and "RS-1" in page and "待发送" in page
    assert "138****8000" in page and "13800138000" not in page
    police = login("police_admin").get("/admin/invitations").get_data(as_text=True)
    assert "GA-1" in police and "RS-1" not in police


def test_failed_invitations_show_the_providers_reason(client, make, login):
    from models import Invitation

    report_case(client, make, "GA-2")
    with db.connection_context():
        Invitation.update(state="failed", error_code="isv.MOBILE_NUMBER_ILLEGAL", error_message="非法手机号").execute()
    page = login("bureau").get("/admin/invitations?state=failed").get_data(as_text=True)
    assert "isv.MOBILE_NUMBER_ILLEGAL" in page and "非法手机号" in page


def test_upstream_backlog_and_rejections(client, make, login):
    report_case(client, make, "GA-3")
    body = {"case_no": "GA-3", "level": 5, "channel": "pad"}
    rating_id = client.post("/api/v1/ratings", json=body, headers=make.auth(make.police_key)).get_json()["rating_id"]
    page = login("bureau").get("/admin/upstream").get_data(as_text=True)
    assert "市级推送未启用" in page
    assert 'id="u-pending">1<' in page
    with db.connection_context():
        UpstreamPush.create(
            rating=Rating.get_by_id(rating_id),
            eval_id="610118-x",
            state="rejected",
            reject_reason="deptCode 未登记",
            rejected_at=datetime.datetime(2026, 11, 26, 10, 5),
        )
        Outbox.update(state="failed").where(Outbox.kind == "upstream.rating").execute()
    page = login("bureau").get("/admin/upstream").get_data(as_text=True)
    assert "deptCode 未登记" in page and "全部重新推送" in page
    assert "调度任务" in page
    # The police admin sees their own rejections but not the scheduler.
    police = login("police_admin").get("/admin/upstream").get_data(as_text=True)
    assert "deptCode 未登记" in police and "调度任务" not in police
    social = login("social_admin").get("/admin/upstream").get_data(as_text=True)
    assert "deptCode 未登记" not in social


def test_only_the_bureau_requeues_rejected_ratings(client, make, login):
    assert login("police_admin").post("/admin/upstream/retry").status_code == 403
    assert login("auditor").post("/admin/upstream/retry").status_code == 403
    response = login("bureau").post("/admin/upstream/retry")
    assert response.status_code == 302


def test_department_staff_do_not_see_the_channels_pages(login):
    assert login("police_staff").get("/admin/invitations").status_code == 403
    assert login("police_staff").get("/admin/upstream").status_code == 403


def test_the_job_page_and_healthz_show_a_scheduler_that_does_not_run_its_jobs_on_time(app, client, make, login):
    page = login("bureau").get("/admin/upstream").get_data(as_text=True)
    assert "调度进程：调度进程未运行" in page
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "not_running"
    now = clock.now()
    with db.connection_context():
        SchedulerProcess.beat("web-1", 4242, "active")
        # Every interval job ran a moment ago, but the push (every 2 s) last ran 10 minutes ago.
        for spec in load_table(app.config["SETTINGS"].jobs):
            if spec.every is not None and spec.id != "upstream.push":
                JobRun.create(job_id=spec.id, last_started_at=now)
        JobRun.create(job_id="upstream.push", last_started_at=now - datetime.timedelta(minutes=10))
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["scheduler"]["status"] == "late"
    assert health["scheduler"]["late_jobs"] == ["upstream.push"]
    page = login("bureau").get("/admin/upstream").get_data(as_text=True)
    assert "运行中，但有任务未按时执行" in page and "未按时执行：upstream.push" in page
    with db.connection_context():
        JobRun.update(last_started_at=now).where(JobRun.job_id == "upstream.push").execute()
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "ok"
    with db.connection_context():
        SchedulerProcess.update(state="lock_lost").execute()
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "lock_lost"
    clock.freeze(now + datetime.timedelta(minutes=5))  # no heartbeat for five minutes: gone
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "not_running"
