"""Batch intake (`POST /api/v1/cases/batch`): up to 1000 cases in a few statements.

Every element is validated on its own and answered in order; a bad element
spoils nothing. The valid ones are written in one transaction with set-based
statements (`models.bulk`: SQL text built once, multi-row INSERTs), so that a
batch holds the database for tens of milliseconds: what does not depend on the
stored rows — validation, the new case row with its rating code, encrypted
personal data and phone hash — is prepared before the transaction opens. The
outcome per element is the one the single-case path (`intake.upsert_case`)
gives one message after the other: both apply a message with `apply_case` and
decide its invitation with `invitation_decision`.

Concurrent batches of the same cases (PostgreSQL; SQLite runs one writer at a
time): a case number that another batch inserts between our look and our
INSERT is skipped by the INSERT (ON CONFLICT DO NOTHING waits for the other
transaction) and then updated as a stored case. Rows are written in one order
(new cases by case number, stored ones by id) so that two batches seldom wait
on each other in a cycle; a deadlock that PostgreSQL breaks all the same, or
another unique conflict (a rating code drawn twice), rolls the batch back and
runs it again, up to ATTEMPTS times.
"""

import logging

from peewee import IntegrityError
from peewee import OperationalError
from peewee import chunked

from core import clock
from core.codes import new_rating_code
from core.config import current_settings
from core.crypto import phone_hash
from core.errors import ApiError
from models import Case
from models import Department
from models import Invitation
from models import OptOut
from models import Outbox
from models import Rating
from models import db
from models.bulk import insert_returning
from models.bulk import insert_rows
from models.bulk import to_db
from models.bulk import update_rows
from models.rating import FIRST

from .intake import Lookups
from .intake import apply_case
from .intake import invitation_decision
from .intake import parse_case

log = logging.getLogger(__name__)

ATTEMPTS = 3
RETRY_PGCODES = ("40P01", "40001")  # deadlock_detected, serialization_failure
CHUNK = 500  # ids per IN list of the peewee queries (re-posted cases only)
# Every column but the id; an update writes them all but the case's identity, as Model.save does.
CASE_COLUMNS = tuple(field.name for field in Case._meta.sorted_fields if field.name != "id")
UPDATE_COLUMNS = tuple(name for name in CASE_COLUMNS if name not in ("case_no", "rating_code", "created_at"))
INVITATION_COLUMNS = ("case", "channel", "state", "send_after", "attempts", "created_at")
OUTBOX_COLUMNS = ("kind", "dedupe_key", "payload", "state", "attempts", "available_at", "created_at")


def upsert_cases(payload: list, department: Department) -> list[dict]:
    """One result per element, in order: {"index", "status", …body or error}."""
    lookups = Lookups()
    now = clock.now()  # the request's one time: every case it creates or updates, and their invitations
    results: list = [None] * len(payload)
    # Wave k holds the k-th message of each case number: a case reported twice in one
    # batch (accepted, then completed) is written by the second wave over the first,
    # in the batch's order, as the single-case path would one message after the other.
    waves: list[list] = []
    seen: dict[str, int] = {}
    for index, element in enumerate(payload):
        try:
            fields = parse_case(element, department, lookups)
        except ApiError as exc:
            results[index] = _failure(index, exc)
            continue
        wave = seen.get(fields["case_no"], 0)
        seen[fields["case_no"]] = wave + 1
        if wave == len(waves):
            waves.append([])
        waves[wave].append((index, fields))
    first = waves[0] if waves else []
    drafts = {fields["case_no"]: _draft(fields, now) for _, fields in first}
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with db.atomic():
                for wave in waves:
                    _bulk(wave, drafts, department, results, now)
            return results
        except (IntegrityError, OperationalError) as exc:
            if attempt == ATTEMPTS or not _lost_race(exc):
                raise
            # A concurrent writer of the same cases committed first (or, once in 2^45, took
            # a rating code): all over again, now reading its cases as stored.
            log.info("batch of %d lost a race (%s), attempt %d", len(payload), type(exc).__name__, attempt + 1)
            drafts = {fields["case_no"]: _draft(fields, now) for _, fields in first}
    raise AssertionError("unreachable")


def _lost_race(exc: Exception) -> bool:
    """A unique key taken by a concurrent transaction, or PostgreSQL's deadlock and
    serialization failures, which roll the transaction back for the caller to retry."""
    if isinstance(exc, IntegrityError):
        return True
    driver_error = exc.args[0] if exc.args else None  # peewee wraps the driver's exception
    return getattr(driver_error, "pgcode", None) in RETRY_PGCODES


def _failure(index: int, exc: ApiError) -> dict:
    return {"index": index, "status": exc.status, **exc.to_dict()}


def _draft(fields: dict, now) -> tuple[Case, tuple]:
    """The case and its row as they are stored if it is new (used only then), built
    before the transaction: rating code, encrypted personal data, phone hash."""
    # No field defaults: apply_case sets every field that has one, but created_at.
    case = Case(__no_default__=True, case_no=fields["case_no"], rating_code=new_rating_code(), created_at=now)
    apply_case(case, fields, now)
    case.applicant_phone_hash = phone_hash(case.applicant_phone)
    return case, to_db(Case, CASE_COLUMNS, [tuple(case.__data__.get(name) for name in CASE_COLUMNS)])[0]


def _bulk(wave: list, drafts: dict, department: Department, results: list, now) -> None:
    cases, created = {}, set()
    pending = wave
    # Twice at most: a case number that a concurrent batch took between our look and our
    # INSERT is skipped by it, and is stored (committed) when we look the second time.
    for _ in range(2):
        stored = Case.stored_numbers([fields["case_no"] for _, fields in pending])
        new, known = [], {}
        for index, fields in pending:
            hit = stored.get(fields["case_no"])
            if hit is None:
                new.append((index, drafts[fields["case_no"]]))
            elif hit[1] != department.id:
                results[index] = _failure(
                    index, ApiError("forbidden_department", "该办件属于其他部门，本密钥无权修改", 403)
                )
            else:
                known[index] = (hit[0], fields)
        cases.update(_update_cases(known, now))
        inserted = _insert_cases(new)
        cases.update(inserted)
        created.update(inserted)
        taken = {index for index, _ in new if index not in inserted}
        pending = [(index, fields) for index, fields in pending if index in taken]
        if not pending:
            break
    else:
        raise IntegrityError("case numbers taken concurrently and still not readable")  # run again by the caller
    old = {case.id for index, case in cases.items() if index not in created}
    states = _invite(list(cases.values()), old, now)
    base = current_settings().app.base_url.rstrip("/") + "/r/"
    for index, case in cases.items():
        results[index] = {
            "index": index,
            "status": 201 if index in created else 200,
            "case_no": case.case_no,
            "rating_code": case.rating_code,
            "rating_url": base + case.rating_code,
            "invitation": states[case.id],
        }


def _update_cases(known: dict, now) -> dict[int, Case]:
    """Apply each message to its stored case and write them back; {index: case}."""
    ids = [case_id for case_id, _ in known.values()]
    loaded = {case.id: case for chunk in chunked(ids, CHUNK) for case in Case.select().where(Case.id.in_(chunk))}
    updated, rows = {}, []
    for index, (case_id, fields) in known.items():
        case = loaded[case_id]
        apply_case(case, fields, now)
        case.applicant_phone_hash = phone_hash(case.applicant_phone)
        updated[index] = case
        rows.append((case.id, *(case.__data__.get(name) for name in UPDATE_COLUMNS)))
    update_rows(Case, UPDATE_COLUMNS, sorted(rows, key=lambda row: row[0]))
    return updated


def _insert_cases(new: list) -> dict[int, Case]:
    """INSERT the new cases ((index, draft) pairs); {index: case} of those this batch stored,
    without the ones whose number a concurrent batch took first (skipped by ON CONFLICT: the
    INSERT returns the ids of the rows it wrote)."""
    new = sorted(new, key=lambda pair: pair[1][0].case_no)
    rows = insert_returning(Case, CASE_COLUMNS, [row for _, (_, row) in new], ("case_no", "id"))
    stored = dict(rows)
    inserted = {}
    for index, (case, _) in new:
        case_id = stored.get(case.case_no)
        if case_id is not None:
            case.id = case_id
            inserted[index] = case
    return inserted


def _invite(cases: list[Case], old: set, now) -> dict[int, str]:
    """The invitation answer per case id; new invitations and their outbox rows in bulk.
    Only the `old` (already stored) cases can have a rating or an invitation."""
    rated, existing = set(), {}
    for chunk in chunked(sorted(old), CHUNK):
        rated.update(
            r for (r,) in Rating.select(Rating.case).where(Rating.case.in_(chunk) & (Rating.sequence == FIRST)).tuples()
        )
        query = Invitation.select().where(Invitation.case.in_(chunk) & (Invitation.channel == "sms"))
        existing.update({inv.case_id: inv for inv in query})
    opted = OptOut.among(sorted({case.applicant_phone_hash for case in cases if case.applicant_phone_hash}))
    states, due = {}, {}
    for case in cases:
        state, send_after = invitation_decision(
            case, case.id in rated, existing.get(case.id), case.applicant_phone_hash in opted, now
        )
        states[case.id] = state
        if send_after is not None:
            due[case.id] = send_after
    _schedule(due, now)
    return states


def _schedule(due: dict, now) -> None:
    """The SMS invitations {case id: send after} and, in the same transaction, their outbox rows."""
    if not due:
        return
    invitations = [(case_id, "sms", "scheduled", at, 0, now) for case_id, at in due.items()]
    # A concurrent batch may have invited a stored case meanwhile: its one invitation stands
    # (skipped by the INSERT, read back).
    rows = to_db(Invitation, INVITATION_COLUMNS, invitations)
    ids = dict(insert_returning(Invitation, INVITATION_COLUMNS, rows, ("case", "id")))
    if len(ids) < len(due):
        ids.update(Invitation.ids_for([case_id for case_id in due if case_id not in ids]))
    outbox = [
        ("sms.invite", f"invite:{ids[case_id]}", f'{{"invitation_id": {ids[case_id]}}}', "pending", 0, at, now)
        for case_id, at in due.items()
    ]
    insert_rows(Outbox, OUTBOX_COLUMNS, to_db(Outbox, OUTBOX_COLUMNS, outbox), ("dedupe_key",))
