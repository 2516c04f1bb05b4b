"""回访 by the bureau (seed: 区行政审批局 leads the 回访): the rectifying department sees the
result and cannot record it — enforced in the workflow, whatever the caller."""

import pytest

from rectification import followup
from rectification import tickets
from rectification import workflow


@pytest.fixture
def replied(bad_ticket, staff):
    ticket = tickets.resolve_on_the_spot(bad_ticket(phone=None), staff.police_admin, "已当场解决")
    return followup.send_reply(ticket, "已解决。", staff.police_admin)


def test_only_the_bureau_records_the_followup_by_default(replied, staff, refused):
    for department_user in (staff.police_admin, staff.police_staff, staff.social_staff):
        assert not workflow.may(replied, "followup", department_user)
        assert "followup" not in [a["action"] for a in workflow.allowed_actions(replied, department_user)]
        with refused("forbidden", 403):
            followup.record_followup(replied, "satisfied", channel="phone", actor=department_user)
        with refused("forbidden", 403):
            tickets.transition(replied, "followup", department_user, satisfaction="satisfied", channel="phone")
    with refused("forbidden", 403):
        followup.record_followup(replied, "satisfied", channel="phone", actor=staff.auditor)
    done = followup.record_followup(replied, "satisfied", channel="phone", actor=staff.bureau, note="电话回访")
    assert done.state == "followed_up" and done.followup_result == "satisfied"
    # The department closes (销号) what the bureau followed up.
    assert tickets.close(done, staff.police_admin, "整改到位").state == "closed"


@pytest.mark.settings({"rectification": {"followup_by": "department"}})
def test_a_province_may_leave_the_followup_to_the_department(replied, staff):
    assert workflow.may(replied, "followup", staff.police_staff)
    done = followup.record_followup(replied, "basically_satisfied", channel="phone", actor=staff.police_staff)
    assert done.state == "followed_up"
