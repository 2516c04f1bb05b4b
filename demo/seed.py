"""`flask seed-demo`: master data of the Huyi district, its staff users and business
contacts, and months of history (demo/history.py) lived through the product's services.
"""

import datetime as dt
import logging
import random
import secrets

from core import clock
from models import BusinessContact
from models import Department
from models import Hall
from models import Invitation
from models import Item
from models import Label
from models import LabelSet
from models import Outbox
from models import Staff
from models import User
from models import Window
from models import db

from . import data
from .history import AREA
from .history import History
from .users import ensure_demo_users


def seed_demo(months: int = 6, seed: int = 2026) -> tuple[str, list[str]]:
    """(a summary, the demo users' lines to print); nothing changes when data exists."""
    if Department.select().exists():
        return "Demo data already present; nothing changed.", ensure_demo_users()
    rng = random.Random(seed)
    with db.atomic():
        seed_master_data(rng)
    users = ensure_demo_users()
    with db.atomic():
        actors = seed_contacts(rng)
    # Thousands of back-dated ratings: the per-rating log lines would drown the summary.
    quiet = [logging.getLogger(name) for name in ("ratings.core", "figures", "ratings.defaults")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    try:
        counts = History(rng, months, actors).run()
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    _settle_history(clock.now())
    units = f"{Department.select().count()} departments, {Window.select().count()} windows"
    done = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
    return f"Seeded {units}; {done}.", users


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
            Staff.create(code=f"S{number:04d}", name=_person(rng), department=department, window=window)
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


def _person(rng) -> str:
    return rng.choice(data.SURNAMES) + "".join(rng.sample(data.GIVEN, rng.choice((1, 2))))


def seed_contacts(rng: random.Random) -> dict:
    """Every unit's 业务联系人 (fictitious name and phone), with an admin account of the unit's own
    that confirms its monthly submission: the police department's is the demo user gaj_contact;
    the others have no known password (`flask create-user` or the admin gives them one)."""
    actors = {"bureau": User.by_username("bureau")}
    for department in Department.select().where(~Department.is_bureau):
        user = User.by_username(f"{department.code.lower()}_contact")
        if user is None:
            user = User(username=f"{department.code.lower()}_contact", role="dept_staff", department=department)
            user.display_name = f"{department.name}业务联系人"
            user.set_password(secrets.token_urlsafe(18))  # never the seed's: the repository is public
            user.save()
        BusinessContact.create(
            department=department,
            name=_person(rng),
            phone=f"139{rng.randint(0, 99999999):08d}",
            user=user,
            updated_at=clock.now(),
        )
        actors[department.id] = user
    return actors


def _settle_history(now: dt.datetime) -> None:
    """What the demo's past would have sent went out long ago: invitations and messages before yesterday."""
    cutoff = dt.datetime.combine(now.date() - dt.timedelta(days=1), dt.time())
    with db.atomic():
        old = Invitation.select(Invitation.id).where(Invitation.created_at < cutoff)
        (
            Invitation.update(state="sent", sent_at=Invitation.send_after)
            .where(Invitation.id.in_(old) & (Invitation.state == "scheduled"))
            .execute()
        )
        (
            Outbox.update(state="sent", sent_at=Outbox.available_at)
            .where((Outbox.state == "pending") & (Outbox.kind != "upstream.rating") & (Outbox.available_at < cutoff))
            .execute()
        )
