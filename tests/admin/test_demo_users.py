"""Demo users: one per role, random passwords printed once, none in the repository."""

from demo.users import ensure_demo_users
from models import User


def test_demo_users_are_created_once_and_can_be_reset(ctx, make):
    lines = ensure_demo_users()
    users = {u.username: u for u in User.select()}
    assert {name: u.role for name, u in users.items()} == {
        "bureau": "bureau",
        "gaj_admin": "dept_admin",
        "gaj_staff": "dept_staff",
        "gaj_contact": "dept_staff",
        "auditor": "auditor",
    }
    assert users["gaj_staff"].department_id == make.police.id
    assert lines[0] == "Demo staff users for https://hcp.example.cn/admin/login (passwords shown once):"
    passwords = {line.split()[0]: line.split()[2] for line in lines[1:]}
    assert users["bureau"].check_password(passwords["bureau"])
    assert len(set(passwords.values())) == 5
    assert "already exist" in ensure_demo_users()[0]
    again = {line.split()[0]: line.split()[2] for line in ensure_demo_users(reset=True)[1:]}
    assert again["bureau"] != passwords["bureau"]
    assert User.by_username("bureau").check_password(again["bureau"])
