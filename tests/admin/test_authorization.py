"""Every admin route, as every role, against a foreign department.

The police department's admin and staff must never see or change anything of
the social-security department (RSJ): object pages answer 403/404, list pages
and exports carry none of its data, and no POST changes any of its rows. The
bureau and the auditor, who see every department, reach the same objects
(the positive control that keeps this test honest).
"""

import datetime as dt

import pytest
from playhouse.shortcuts import model_to_dict

from models import ApiKey
from models import AuditLog
from models import Department
from models import Hall
from models import Item
from models import RatingFlag
from models import Staff
from models import StaffIdentity
from models import Ticket
from models import User
from models import Window
from models import db

DEPT_ROLES = ("police_admin", "police_staff")
ALL_ROLES = ("bureau", "auditor")
MASTER_KINDS = ("department", "hall", "window", "staff", "item")


@pytest.fixture
def world(app, make, staff, ratings):
    with app.app_context(), db.connection_context():
        foreign_ticket = ratings.rate(
            1, dept="social", at=dt.datetime(2026, 11, 20, 9), comment="社保窗口态度差"
        ).ticket
        own_ticket = ratings.rate(2, dept="police", at=dt.datetime(2026, 11, 20, 9)).ticket
        hall = Hall.create(code="RSJ-DT", name="人社局社保服务大厅", department=make.social)
        key = ApiKey.get(ApiKey.department == make.social)
        flag = RatingFlag.create(rating=foreign_ticket.rating, rules="burst", reason="同一评价人短时间内大量相同评价")
        identity = StaffIdentity.create(staff=make.clerk, kind="device", value="RSJ-PC-1", shown="RSJ-PC-1")
        return {
            "flag": flag,
            "identity": identity,
            "ticket": foreign_ticket,
            "own_ticket": own_ticket,
            "objects": {
                "department": make.social,
                "hall": hall,
                "window": make.social_window,
                "staff": make.clerk,
                "item": make.pension,
            },
            "user": staff["social_admin"],
            "key": key,
            "markers": ["社保业务窗口", "李静", "城乡居民养老保险待遇申领", foreign_ticket.ticket_no, "social_admin"],
            "social": make.social,
        }


def urls(app, world):
    """(endpoint, url, foreign) for every admin route; fails on a route it does not know how to fill."""
    found = []
    objects = world["objects"]
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or rule.endpoint == "admin.static":
            continue
        args = set(rule.arguments)
        if not args:
            found.append((rule, rule.rule, False))
        elif args == {"kind"} and rule.endpoint.startswith("admin.master"):
            found += [(rule, rule.rule.replace("<kind>", k), False) for k in MASTER_KINDS]
        elif args == {"kind"} and rule.endpoint == "admin.import_template":
            found += [(rule, rule.rule.replace("<kind>", k), False) for k in ("catalogue", "master", "paper")]
        elif args == {"kind", "row_id"}:
            kinds = ("window", "hall") if rule.endpoint == "admin.qr_poster" else MASTER_KINDS
            for k in kinds:
                url = rule.rule.replace("<kind>", k).replace("<int:row_id>", str(objects[k].id))
                found.append((rule, url, True))
        elif args == {"ticket_id"}:
            found.append((rule, rule.rule.replace("<int:ticket_id>", str(world["ticket"].id)), True))
        elif args == {"user_id"}:
            found.append((rule, rule.rule.replace("<int:user_id>", str(world["user"].id)), True))
        elif args == {"key_id"}:
            found.append((rule, rule.rule.replace("<int:key_id>", str(world["key"].id)), True))
        elif args == {"flag_id"}:
            found.append((rule, rule.rule.replace("<int:flag_id>", str(world["flag"].id)), True))
        elif args == {"identity_id"}:
            found.append((rule, rule.rule.replace("<int:identity_id>", str(world["identity"].id)), True))
        else:
            raise AssertionError(f"no recipe for route {rule.rule} ({rule.endpoint}); add one to this test")
    return found


def fingerprint(social: Department):
    """Everything of the foreign department, to prove no POST changed it."""
    with db.connection_context():
        rows = [model_to_dict(Department.get_by_id(social.id), recurse=False)]
        for model in (Hall, Window, Staff, Item, User, ApiKey, Ticket):
            rows += [model_to_dict(r, recurse=False) for r in model.select().where(model.department == social.id)]
        rows += [model_to_dict(r, recurse=False) for r in RatingFlag.select()]
        rows += [model_to_dict(r, recurse=False) for r in StaffIdentity.select()]
        return sorted(map(repr, rows))


POST_DATA = {
    "op": "reset_password",
    "action": "close",
    "reason": "电话核实",
    "note": "x",
    "username": "intruder1",
    "role": "dept_admin",
    "code": "NEW-1",
    "name": "新对象",
    "kind": "district",
    "label": "x",
    "version": "9.9",
    "labels": "5,999,好",
}


@pytest.mark.parametrize("role", DEPT_ROLES)
def test_department_roles_never_reach_a_foreign_department(app, world, login, role):
    session = login(role)
    before = fingerprint(world["social"])
    exercised = set()
    for rule, url, foreign in urls(app, world):
        exercised.add(rule.endpoint)
        if rule.endpoint in ("admin.logout", "admin.login"):
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = session.get(url)
            else:
                data = dict(POST_DATA, department=str(world["social"].id), hall=str(world["objects"]["hall"].id))
                response = session.post(url, data=data)
            body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
            where = f"{role} {method} {url} -> {response.status_code}"
            if foreign:
                assert response.status_code in (403, 404), where
            else:
                assert response.status_code in (200, 302, 400, 403, 404, 422), where
                for marker in world["markers"]:
                    assert marker not in body, f"{where} shows {marker}"
                if response.mimetype.endswith("sheet"):
                    assert b"\xe7\xa4\xbe\xe4\xbf\x9d" not in response.data  # 社保 never in an export
    assert fingerprint(world["social"]) == before
    with db.connection_context():
        assert (
            not AuditLog.select().where(AuditLog.target.contains("RSJ") | AuditLog.target.contains("social")).exists()
        )
    # The test must keep up with the blueprint: every admin endpoint was tried.
    assert exercised == {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")} - {
        "admin.static"
    }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_bureau_and_auditor_see_every_department(app, world, login, role):
    session = login(role)
    for rule, url, foreign in urls(app, world):
        if not foreign or "GET" not in rule.methods or rule.endpoint == "admin.qr_poster":
            continue
        assert session.get(url).status_code == 200, f"{role} GET {url}"
    assert world["ticket"].ticket_no in session.get("/admin/tickets").get_data(as_text=True)


def test_department_admin_sees_its_own_objects(app, world, login):
    session = login("police_admin")
    assert session.get(f"/admin/tickets/{world['own_ticket'].id}").status_code == 200
    assert session.get(f"/admin/master/window/{app and world['objects']['window'].id}").status_code == 404
    page = session.get("/admin/tickets").get_data(as_text=True)
    assert world["own_ticket"].ticket_no in page


def test_filters_never_name_a_foreign_unit(app, world, login, make):
    session = login("police_staff")
    for query in ("staff=S002", "item=610118-RSJ-001", f"window={make.social_window.id}"):
        page = session.get("/admin/?" + query).get_data(as_text=True)
        assert "李静" not in page and "城乡居民养老保险待遇申领" not in page and "社保业务窗口" not in page
        assert '<div class="v" id="m-rated">0</div>' in page
    assert "李静" in login("bureau").get("/admin/?staff=S002").get_data(as_text=True)
