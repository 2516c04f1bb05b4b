"""The upstream simulator on an ephemeral port, and the app configured to push to it."""

import pytest

from models import Case
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from upstream.client import Client
from upstream.push import current_profile
from upstream.signing import Signer
from upstream.simulator import Server
from upstream.simulator import Simulator

APP_ID = "huyi-hcp"
APP_SECRET = "s3cret-for-tests"


@pytest.fixture
def sim_server():
    simulator = Simulator(Signer("hmac-sha256", APP_ID, APP_SECRET), seed=7)
    with Server(simulator) as server:
        yield server


@pytest.fixture
def simulator(sim_server):
    return sim_server.simulator


@pytest.fixture
def settings_overrides(settings_overrides, sim_server):
    upstream = {
        "enabled": True,
        "url": sim_server.url,
        "query_url": sim_server.query_url,
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "data_source": "133",
        "batch_size": 10,
        "timeout_seconds": 5,
        "retries": 2,
        "backoff_seconds": 1,
        "backoff_max_seconds": 600,
    }
    upstream.update(settings_overrides.get("upstream", {}))
    settings_overrides["upstream"] = upstream
    return settings_overrides


@pytest.fixture
def fast_client(app):
    """The real client against the simulator, without pausing between retries."""
    with app.app_context():
        return Client(current_profile(), sleep=lambda seconds: None)


@pytest.fixture
def rate(app, make):
    """rate(count, **fields) → rating ids, given on the police window's tablet."""

    def _rate(count=1, level=5, labels=("501",), channel="pad", comment=None, case_no=None, addendum=False):
        ids = []
        with app.app_context(), db.connection_context():
            for _ in range(count):
                case = Case.by_case_no(case_no) if case_no else None
                request = RatingRequest(
                    level=level,
                    channel=channel,
                    labels=list(labels),
                    comment=comment,
                    case=case,
                    window=None if case else make.police_window,
                    rater_ref="wx:openid-1" if case else "device:pad-w04",
                    addendum=addendum,
                )
                ids.append(submit_rating(request).rating.id)
        return ids

    return _rate
