"""`flask seed-demo`: master data of the Huyi district and months of history.

History goes through the real intake and rating core with the clock set back,
so cases, invitations, ratings, tickets and outbox rows are what the product
itself would have written.
"""

import datetime as dt
import logging
import random

from cases.intake import upsert_case
from core import clock
from core.config import current_settings
from core.errors import ApiError
from models import Department
from models import Hall
from models import Invitation
from models import Item
from models import Label
from models import LabelSet
from models import Outbox
from models import Staff
from models import Window
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from rectification.deadlines import is_working_day

from . import data

AREA = "610118"  # 鄠邑区
LEVEL_WEIGHTS = {5: 68, 4: 20, 3: 7, 2: 3, 1: 2}
# Channels of case ratings and their share; on-site QR ratings come on top.
CASE_CHANNELS = {"sms": 30, "h5": 15, "wechat": 25, "pad": 25, "pc": 5}


def seed_demo(months: int = 6, seed: int = 2026) -> str:
    if Department.select().exists():
        return "Demo data already present; nothing changed."
    rng = random.Random(seed)
    with db.atomic():
        seed_master_data(rng)
    # Thousands of back-dated ratings: the per-rating log lines would drown the summary.
    core_log = logging.getLogger("ratings.core")
    level, core_log.level = core_log.level, logging.WARNING
    try:
        cases, ratings = seed_history(months, rng)
    finally:
        core_log.setLevel(level)
    units = f"{Department.select().count()} departments, {Window.select().count()} windows"
    return f"Seeded {units}, {cases} cases, {ratings} ratings."


def seed_master_data(rng: random.Random) -> None:
    departments = {}
    for code, name, kind, is_bureau in data.DEPARTMENTS:
        departments[code] = Department.create(code=code, name=name, kind=kind, is_bureau=is_bureau)
    halls = {
        code: Hall.create(code=code, name=name, department=departments[dept], address=address)
        for code, name, dept, address in data.HALLS
    }
    windows = [(code, name, halls[hall], departments[dept]) for code, name, hall, dept in data.WINDOWS]
    for code, name, kind, _ in data.DEPARTMENTS:
        if kind != "district":
            hall = Hall.create(
                code=f"{code}-BM", name=f"{name}便民服务中心", department=departments[code], address="西安市鄠邑区"
            )
            windows += [
                (f"{code}-BM-{i + 1:02d}", text, hall, departments[code]) for i, text in enumerate(data.TOWN_WINDOWS)
            ]
    number = 0
    for code, name, hall, department in windows:
        window = Window.create(code=code, name=name, hall=hall, department=department)
        for _ in range(2):
            number += 1
            person = rng.choice(data.SURNAMES) + "".join(rng.sample(data.GIVEN, rng.choice((1, 2))))
            Staff.create(code=f"S{number:04d}", name=person, department=department, window=window)
    for suffix, name, category, dept in data.ITEMS:
        Item.create(code=f"{AREA}-{suffix}", name=name, category=category, department=departments[dept])
    for code, _, kind, _ in data.DEPARTMENTS:
        if kind != "district":
            for suffix, name, category in data.TOWN_ITEMS:
                Item.create(code=f"{AREA}-{code}-{suffix}", name=name, category=category, department=departments[code])
    label_set = LabelSet.create(version=data.LABEL_VERSION, active=True)
    for level, labels in data.LABELS.items():
        for position, (code, text) in enumerate(labels):
            Label.create(label_set=label_set, level=level, code=code, text=text, position=position)


def seed_history(months: int, rng: random.Random) -> tuple[int, int]:
    """Cases and ratings for every working day of the last `months` months."""
    today = clock.today()
    start = today - dt.timedelta(days=30 * months)
    windows = list(Window.select())
    items_by_dept: dict[int, list] = {}
    for item in Item.select():
        items_by_dept.setdefault(item.department_id, []).append(item)
    staff_by_window: dict[int, list] = {}
    for person in Staff.select():
        staff_by_window.setdefault(person.window_id, []).append(person)
    # A few windows serve worse than the rest, so that rankings show something.
    weak = set(rng.sample([w.id for w in windows], 3))
    cases = ratings = 0
    rect = _rect()
    try:
        day = start
        while day < today:
            if is_working_day(day, rect):
                with db.atomic():
                    c, r = _seed_day(day, rng, windows, items_by_dept, staff_by_window, weak)
                cases, ratings = cases + c, ratings + r
            day += dt.timedelta(days=1)
    finally:
        clock.freeze(None)
    _settle_old_invitations(today)
    return cases, ratings


def _seed_day(day, rng, windows, items_by_dept, staff_by_window, weak) -> tuple[int, int]:
    cases = ratings = 0
    for _ in range(rng.randint(10, 18)):
        window = rng.choice(windows)
        department = window.department
        item = rng.choice(items_by_dept[department.id])
        staff = rng.choice(staff_by_window[window.id])
        accepted = dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.randint(0, 59)))
        completed = accepted + dt.timedelta(minutes=rng.randint(10, 90))
        clock.freeze(completed)
        case_no = f"{AREA}{day:%Y%m%d}{department.code}{rng.randint(0, 999999):06d}"
        payload = {
            "case_no": case_no,
            "item_code": item.code,
            "dept_code": department.code,
            "hall_code": window.hall.code,
            "window_code": window.code,
            "staff_code": staff.code,
            "mode": "offline" if rng.random() < 0.8 else "online",
            "status": "completed",
            "accepted_at": accepted.isoformat() + "+08:00",
            "completed_at": completed.isoformat() + "+08:00",
            "applicant": {
                "name": rng.choice(data.SURNAMES) + rng.choice(data.GIVEN) + rng.choice(data.GIVEN),
                "phone": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                "type": "person" if rng.random() < 0.85 else "legal",
            },
        }
        upsert_case(payload, department)
        cases += 1
        if rng.random() < 0.78:
            ratings += _rate(rng, case_no, completed, window.id in weak)
    for _ in range(rng.randint(1, 4)):
        window = rng.choice(windows)
        clock.freeze(dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randint(0, 59))))
        level = _level(rng, window.id in weak)
        req = RatingRequest(
            level=level,
            channel="qr",
            window=window,
            rater_ref=f"browser:demo{rng.randint(0, 10**9)}",
            labels=_labels(rng, level),
            comment=_comment(rng, level),
        )
        submit_rating(req)
        ratings += 1
    return cases, ratings


def _rate(rng, case_no, completed, weak) -> int:
    from models import Case

    case = Case.by_case_no(case_no)
    level = _level(rng, weak)
    channel = rng.choices(list(CASE_CHANNELS), weights=CASE_CHANNELS.values())[0]
    clock.freeze(completed + dt.timedelta(minutes=rng.randint(1, 60 * 24 * 3)))
    rater = {"pad": "device:demo-pad", "pc": "device:demo-pc"}.get(channel, f"{channel}:demo{case.id}")
    try:
        submit_rating(
            RatingRequest(
                level=level,
                channel=channel,
                case=case,
                rater_ref=rater,
                labels=_labels(rng, level),
                comment=_comment(rng, level),
            )
        )
    except ApiError:
        return 0
    return 1


def _level(rng, weak: bool) -> int:
    weights = dict(LEVEL_WEIGHTS)
    if weak:
        weights.update({5: 45, 4: 25, 3: 14, 2: 10, 1: 6})
    return rng.choices(list(weights), weights=weights.values())[0]


def _labels(rng, level: int) -> list[str]:
    codes = [code for code, _ in data.LABELS[level]]
    return rng.sample(codes, rng.choice((0, 1, 1, 2)))


def _comment(rng, level: int) -> str | None:
    if level <= 2:
        return rng.choice(data.COMMENTS_BAD) if rng.random() < 0.8 else None
    return rng.choice(data.COMMENTS_GOOD) if rng.random() < 0.15 else None


def _rect():

    return current_settings().rectification


def _settle_old_invitations(today) -> None:
    """History's invitations went out long ago: mark them and their outbox rows sent."""
    cutoff = dt.datetime.combine(today - dt.timedelta(days=1), dt.time())
    with db.atomic():
        old = Invitation.select(Invitation.id).where(Invitation.created_at < cutoff)
        (
            Invitation.update(state="sent", sent_at=Invitation.send_after)
            .where(Invitation.id.in_(old) & (Invitation.state == "scheduled"))
            .execute()
        )
        keys = [f"invite:{row.id}" for row in old]
        for start in range(0, len(keys), 500):
            (
                Outbox.update(state="sent", sent_at=Outbox.available_at)
                .where(Outbox.dedupe_key.in_(keys[start : start + 500]))
                .execute()
            )
