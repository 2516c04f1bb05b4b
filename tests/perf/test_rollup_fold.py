"""The rollups' deltas folded while ratings arrive: each counted once, none lost.

Tablets post ratings from three threads (their own connections) while a fourth folds the
deltas over and over, as the scheduler's job does; at the end the rating rollup, the
case rollup and every figure equal the raw rows."""

import threading

from figures import case_rollup
from figures import rollup
from figures import triggers
from models import CaseRollupDelta
from models import RatingRollupDelta
from models import db

from .test_rollup import expected
from .test_rollup import stored

PER_THREAD = 40


def test_ratings_arriving_while_the_deltas_are_folded_count_once(app, make):
    window = make.police_window.code
    headers = make.auth(make.police_key)
    statuses: list[int] = []
    folds: list[int] = []
    posting = threading.Barrier(4)
    done = threading.Event()

    def tablet(n: int) -> None:
        client = app.test_client()
        posting.wait()
        for i in range(PER_THREAD):
            body = {"channel": "pad", "window_code": window, "level": 1 + (i * 7 + n) % 5, "device_id": f"t{n}-{i}"}
            statuses.append(client.post("/api/v1/ratings", json=body, headers=headers).status_code)

    def folder() -> None:
        with app.app_context(), db.connection_context():
            posting.wait()
            while not done.is_set():
                folds.append(rollup.fold())

    tablets = [threading.Thread(target=tablet, args=(n,)) for n in range(3)]
    fold_thread = threading.Thread(target=folder)
    for thread in [*tablets, fold_thread]:
        thread.start()
    for thread in tablets:
        thread.join(timeout=120)
    done.set()
    fold_thread.join(timeout=60)
    assert statuses == [201] * (3 * PER_THREAD)
    assert sum(folds) > 0  # the folds ran among the ratings, not only after them
    with app.app_context(), db.connection_context():
        assert stored() == expected()  # folds what is left, then compares row by row
        assert not RatingRollupDelta.select().exists()
        before = stored()
        triggers.fold_job()
        case_rollup.fold()
        assert not CaseRollupDelta.select().exists()
        triggers.rebuild(rollup)
        assert stored() == before
