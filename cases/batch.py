"""Batch intake (`POST /api/v1/cases/batch`): up to 1000 cases in a few queries.

Every element is validated on its own and answered in order; a bad element
spoils nothing. The valid ones are written in one transaction with bulk
statements — existing cases, ratings, invitations and opt-outs read once,
new cases, invitations and outbox rows inserted together — so that a batch
holds the database for milliseconds, not seconds. The outcome per element is
the one the single-case path (`intake.upsert_case`) gives, which handles what
the bulk path leaves to it: a case number repeated within the batch, and a
batch that loses a race with a concurrent writer of the same case.
"""

import datetime as dt

from peewee import IntegrityError
from peewee import chunked

from core import clock
from core.errors import ApiError
from models import Case
from models import Department
from models import Invitation
from models import OptOut
from models import Outbox
from models import Rating
from models import db
from models.pii import phone_hash
from models.rating import FIRST

from .codes import new_rating_code
from .intake import Lookups
from .intake import apply_case
from .intake import invitation_decision
from .intake import parse_case
from .intake import rating_url
from .intake import upsert_case

CHUNK = 500  # SQLite allows 999 bound variables per statement before 3.32


def upsert_cases(payload: list, department: Department) -> list[dict]:
    """One result per element, in order: {"index", "status", …body or error}."""
    lookups = Lookups()
    results: list = [None] * len(payload)
    parsed, repeats = [], []
    seen = set()
    for index, element in enumerate(payload):
        try:
            fields = parse_case(element, department, lookups)
        except ApiError as exc:
            results[index] = _failure(index, exc)
            continue
        (repeats if fields["case_no"] in seen else parsed).append((index, fields))
        seen.add(fields["case_no"])
    try:
        with db.atomic():
            _bulk(parsed, department, results)
    except IntegrityError:
        # A concurrent request wrote one of these cases first: one by one, each
        # single-case path settles its own race.
        repeats = sorted(parsed + repeats, key=lambda pair: pair[0])
    with db.atomic():
        for index, _fields in repeats:
            try:
                with db.atomic():
                    body, created = upsert_case(payload[index], department, lookups)
                results[index] = {"index": index, "status": 201 if created else 200, **body}
            except ApiError as exc:
                results[index] = _failure(index, exc)
    return results


def _failure(index: int, exc: ApiError) -> dict:
    return {"index": index, "status": exc.status, **exc.to_dict()}


def _bulk(parsed: list, department: Department, results: list) -> None:
    numbers = [fields["case_no"] for _, fields in parsed]
    stored = {
        case.case_no: case for chunk in chunked(numbers, CHUNK) for case in Case.select().where(Case.case_no.in_(chunk))
    }
    now = clock.now()
    new_rows, created = [], set()
    cases: dict[int, Case] = {}
    for index, fields in parsed:
        case = stored.get(fields["case_no"])
        if case is not None and case.department_id != department.id:
            results[index] = _failure(
                index, ApiError("forbidden_department", "该办件属于其他部门，本密钥无权修改", 403)
            )
            continue
        if case is None:
            case = Case(case_no=fields["case_no"], rating_code=new_rating_code(), created_at=now)
            created.add(index)
        apply_case(case, fields)
        if index in created:
            new_rows.append(case)
        elif case.is_dirty():
            case.save()
        cases[index] = case
    _insert_cases(new_rows)
    states = _invite(list(cases.values()))
    for index, case in cases.items():
        body = {
            "case_no": case.case_no,
            "rating_code": case.rating_code,
            "rating_url": rating_url(case.rating_code),
            "invitation": states[case.id],
        }
        results[index] = {"index": index, "status": 201 if index in created else 200, **body}


def _insert_cases(rows: list[Case]) -> None:
    fields = [field for field in Case._meta.sorted_fields if field.name != "id"]
    for chunk in chunked(rows, max(1, CHUNK // len(fields))):
        Case.insert_many([[getattr(row, f.name) for f in fields] for row in chunk], fields=fields).execute()
    ids = {}
    for chunk in chunked([row.case_no for row in rows], CHUNK):
        ids.update(Case.select(Case.case_no, Case.id).where(Case.case_no.in_(chunk)).tuples())
    for row in rows:
        row.id = ids[row.case_no]


def _invite(cases: list[Case]) -> dict[int, str]:
    """The invitation answer per case id; new invitations and their outbox rows in bulk."""
    ids = [case.id for case in cases]
    rated, existing, opted = set(), {}, set()
    for chunk in chunked(ids, CHUNK):
        rated.update(
            r for (r,) in Rating.select(Rating.case).where(Rating.case.in_(chunk) & (Rating.sequence == FIRST)).tuples()
        )
        existing.update({inv.case_id: inv for inv in Invitation.select().where(Invitation.case.in_(chunk))})
    hashes = {case.id: phone_hash(case.applicant_phone) for case in cases if case.applicant_phone}
    for chunk in chunked(sorted(set(hashes.values())), CHUNK):
        opted.update(h for (h,) in OptOut.select(OptOut.phone_hash).where(OptOut.phone_hash.in_(chunk)).tuples())
    states, due = {}, {}
    for case in cases:
        state, send_after = invitation_decision(
            case, case.id in rated, existing.get(case.id), hashes.get(case.id) in opted
        )
        states[case.id] = state
        if send_after is not None:
            due[case.id] = send_after
    if due:
        _write_invitations(due)
    return states


def _write_invitations(due: dict[int, dt.datetime]) -> None:
    now = clock.now()
    rows = [{"case": case_id, "channel": "sms", "send_after": at, "created_at": now} for case_id, at in due.items()]
    for chunk in chunked(rows, CHUNK // 4):
        Invitation.insert_many(chunk).execute()
    invitations = []
    for chunk in chunked(list(due), CHUNK):
        query = Invitation.select(Invitation.id, Invitation.case, Invitation.send_after)
        invitations.extend(query.where(Invitation.case.in_(chunk) & (Invitation.channel == "sms")))
    outbox = [
        {
            "kind": "sms.invite",
            "dedupe_key": f"invite:{inv.id}",
            "payload": f'{{"invitation_id": {inv.id}}}',
            "available_at": inv.send_after,
            "created_at": now,
        }
        for inv in invitations
    ]
    for chunk in chunked(outbox, CHUNK // 5):
        Outbox.insert_many(chunk).on_conflict_ignore().execute()
