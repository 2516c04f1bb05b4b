"""Appeals corrected at the city: each decision re-sends the rating under its evalId,
`effective` 0 with `invalidReason` for an approval, 1 for a rejection or a reversal —
exactly once each, through the outbox — and the simulator's figures follow."""

import datetime as dt

import pytest
import requests

from core import clock
from core.errors import ApiError
from models import Outbox
from models import Rating
from models import Ticket
from models import UpstreamPush
from models import User
from models import db
from rectification import tickets
from rectification import workflow
from upstream.profile import RatingFacts
from upstream.push import current_profile
from upstream.push import push_due
from upstream.reconcile import reconcile
from upstream.simulator import figures

from ..conftest import NOW


@pytest.fixture
def people(app, make):
    with app.app_context(), db.connection_context():
        return {
            "bureau": User.create(username="chief", password_hash="x", role="bureau"),
            "police": User.create(username="police1", password_hash="x", role="dept_staff", department=make.police),
        }


@pytest.fixture
def appealed(app, rate, people, simulator, fast_client):
    """A 差评 pushed and accepted, its ticket appealed by the department: the bureau decides."""
    (rating_id,) = rate(1, level=1, labels=("101",))
    push(app, fast_client)
    with app.app_context(), db.connection_context():
        ticket = Ticket.get(Ticket.rating == rating_id)
        ticket = tickets.record_verification_call(ticket, people["police"], "群众表示点错了")
        ticket = tickets.appeal(ticket, people["police"], "群众误操作", "通话录音 10:05")
    assert simulator.stats["updates"] == 0
    return ticket


def push(app, client):
    with app.app_context():
        return push_due(client)


def held(simulator, rating_id):
    with db.connection_context():
        return simulator.records[UpstreamPush.get(UpstreamPush.rating == rating_id).eval_id]


def police_figures(simulator):
    with simulator.lock:
        return figures(simulator.records.values()).get("GAJ", {"rated": 0})


def test_an_approved_appeal_reaches_the_city_once(app, appealed, people, simulator, sim_server, fast_client):
    assert held(simulator, appealed.rating_id)["effective"] == 1
    assert police_figures(simulator)["rated"] == 1
    with app.app_context(), db.connection_context():
        tickets.decide_appeal(appealed, True, people["bureau"], "录音证实为误评")
        change = Outbox.get(Outbox.dedupe_key == f"rating:{appealed.rating_id}:change:1")
    assert change.kind == "upstream.rating" and change.data["effective"] == 0
    assert push(app, fast_client)["accepted"] == 1
    record = held(simulator, appealed.rating_id)
    assert (record["effective"], record["changeNo"], record["_updates"]) == (0, 1, 1)
    assert record["invalidReason"].startswith("申诉通过") and "录音证实为误评" in record["invalidReason"]
    assert simulator.stats["updates"] == 1
    # The city's figures follow: the rating left them, as it left ours.
    assert police_figures(simulator)["rated"] == 0
    assert requests.get(sim_server.base + "/_sim/figures", timeout=5).json() == {"departments": {}}
    with app.app_context(), db.connection_context():
        assert Rating.counted().count() == 0
    # Exactly once: later runs, and a repeated delivery of the same change, change nothing.
    assert push(app, fast_client)["accepted"] == 0
    with app.app_context():
        profile = current_profile()
        with db.connection_context():
            facts = RatingFacts.load([appealed.rating_id])[appealed.rating_id]
            eval_id = UpstreamPush.get(UpstreamPush.rating == appealed.rating_id).eval_id
        fast_client.send([profile.record(facts, eval_id, change.data)])
    assert simulator.stats["updates"] == 1 and held(simulator, appealed.rating_id)["_updates"] == 1


def test_a_rejected_appeal_re_sends_effective_1_once(app, appealed, people, simulator, fast_client):
    with app.app_context(), db.connection_context():
        ticket = tickets.decide_appeal(appealed, False, people["bureau"], "证据不足")
    assert ticket.state == "verifying"
    assert push(app, fast_client)["accepted"] == 1
    record = held(simulator, appealed.rating_id)
    assert (record["effective"], record["changeNo"], record["_updates"]) == (1, 1, 1)
    assert "invalidReason" not in record
    assert simulator.stats["updates"] == 1
    assert police_figures(simulator)["rated"] == 1
    assert push(app, fast_client)["accepted"] == 0
    assert simulator.stats["updates"] == 1


def test_a_reversed_approval_counts_again_here_and_at_the_city(app, appealed, people, simulator, fast_client):
    with app.app_context(), db.connection_context():
        ticket = tickets.decide_appeal(appealed, True, people["bureau"], "录音证实为误评")
        push(app, fast_client)
        assert police_figures(simulator)["rated"] == 0
        assert [a["action"] for a in workflow.allowed_actions(ticket, people["bureau"])] == ["reverse_appeal"]
        ticket = tickets.reverse_appeal(ticket, people["bureau"], "新证据：群众确认当时确有不满")
        assert ticket.state == "verifying" and ticket.closed_at is None
        assert not Rating.get_by_id(ticket.rating_id).excluded
    push(app, fast_client)
    record = held(simulator, appealed.rating_id)
    assert (record["effective"], record["changeNo"], record["_updates"]) == (1, 2, 2)
    assert police_figures(simulator)["rated"] == 1


def test_a_closed_ticket_that_was_not_appealed_cannot_be_reversed(app, appealed, people):
    with app.app_context(), db.connection_context():
        ticket = tickets.decide_appeal(appealed, False, people["bureau"], "证据不足")
        Ticket.update(state="closed").where(Ticket.id == ticket.id).execute()
        ticket = Ticket.get_by_id(ticket.id)
        assert workflow.allowed_actions(ticket, people["bureau"]) == []
        with pytest.raises(ApiError) as refused:
            tickets.reverse_appeal(ticket, people["bureau"], "无")
    assert refused.value.code == "illegal_transition"


def test_an_appeal_decided_before_the_first_push_arrives_in_order(app, rate, people, simulator, fast_client):
    (rating_id,) = rate(1, level=2, labels=("201",))
    with app.app_context(), db.connection_context():
        ticket = Ticket.get(Ticket.rating == rating_id)
        ticket = tickets.record_verification_call(ticket, people["police"], "已联系")
        ticket = tickets.appeal(ticket, people["police"], "恶意差评", "记录")
        tickets.decide_appeal(ticket, True, people["bureau"], "属实")
    push(app, fast_client)
    record = held(simulator, rating_id)
    # The first delivery already said 0 (the rating as it stood); the change, numbered 1, is the latest.
    assert (record["effective"], record["changeNo"]) == (0, 1)
    assert police_figures(simulator)["rated"] == 0


def test_an_older_change_arriving_late_changes_nothing(app, appealed, people, simulator, fast_client):
    with app.app_context(), db.connection_context():
        ticket = tickets.decide_appeal(appealed, True, people["bureau"], "误评")
        first = Outbox.get(Outbox.dedupe_key == f"rating:{appealed.rating_id}:change:1")
        # The first change is held back (a failed attempt waiting its backoff), the reversal goes first.
        Outbox.update(available_at=NOW + dt.timedelta(hours=1)).where(Outbox.id == first.id).execute()
        tickets.reverse_appeal(ticket, people["bureau"], "撤销")
    push(app, fast_client)
    assert held(simulator, appealed.rating_id)["effective"] == 1
    clock.freeze(NOW + dt.timedelta(hours=2))
    push(app, fast_client)
    record = held(simulator, appealed.rating_id)
    assert (record["effective"], record["changeNo"]) == (1, 2)
    assert simulator.stats["stale"] == 1


def test_the_reconciliation_compares_effective(app, appealed, people, simulator, fast_client):
    with app.app_context(), db.connection_context():
        tickets.decide_appeal(appealed, True, people["bureau"], "误评")
        # The correction is lost on the way (marked sent, never delivered).
        Outbox.update(state="sent").where(Outbox.dedupe_key == f"rating:{appealed.rating_id}:change:1").execute()
    assert held(simulator, appealed.rating_id)["effective"] == 1
    clock.freeze(NOW + dt.timedelta(days=1))
    with app.app_context():
        (result,) = reconcile(fast_client, days=1)
    assert (result.state, result.missing_count, result.effective_mismatch_count) == ("resent", 0, 1)
    # Run again before the push: the correction is on its way, nothing is queued twice.
    with app.app_context():
        reconcile(fast_client, days=1)
    with db.connection_context():
        assert UpstreamPush.get(UpstreamPush.rating == appealed.rating_id).changes == 2
    push(app, fast_client)
    assert held(simulator, appealed.rating_id)["effective"] == 0
    with app.app_context():
        (again,) = reconcile(fast_client, days=1)
    assert (again.state, again.effective_mismatch_count) == ("ok", 0)


@pytest.mark.settings({"upstream": {"effective_field": "yxbz", "invalid_reason_field": "wxyy", "change_field": "bgxh"}})
def test_the_profile_names_the_fields(app, rate, people):
    (rating_id,) = rate(1, level=1, labels=("101",))
    with app.app_context(), db.connection_context():
        Rating.update(excluded=True, excluded_reason="申诉通过（CP1）：误评").where(Rating.id == rating_id).execute()
        facts = RatingFacts.load([rating_id])[rating_id]
        record = current_profile().record(facts, "x")
    assert (record["yxbz"], record["wxyy"], record["bgxh"]) == (0, "申诉通过（CP1）：误评", 0)
    assert "effective" not in record and "invalidReason" not in record
