"""The ceiling: a bare Flask + peewee app, adapted from the machine baselines
(`shared/bench-baseline/rating_app.py`), served with the product's gunicorn settings.

POST /ratings      validate ~9 fields, one transaction inserting one row -> 201 {"id"}
POST /cases/batch  validate up to 1000 elements, one `insert_many` transaction -> one result per element
GET /healthz       200 once the worker serves (the harness waits for every worker)

It connects exactly as the product does (`models.db.make_database`: the same pool,
pragmas and lock type), so the difference to the product is the product's own work.

    BENCH_CEILING_URL=sqlite:///tmp/x.db gunicorn -k sync -w 4 bench.ceiling_app:app
    python -m bench.ceiling_app init|count     # create the tables / print the row counts
"""

import datetime
import json
import os
import sys

from flask import Flask
from flask import jsonify
from flask import request
from peewee import AutoField
from peewee import CharField
from peewee import DateTimeField
from peewee import IntegerField
from peewee import Model
from peewee import TextField

from models.db import make_database

db = make_database(os.environ.get("BENCH_CEILING_URL", "sqlite:///bench/results/ceiling.db"))


class CeilingRating(Model):
    id = AutoField()
    window_code = CharField(max_length=64)
    channel = CharField(max_length=16)
    level = IntegerField()
    labels = CharField(max_length=200, default="")
    device_id = CharField(max_length=40, null=True)
    created_at = DateTimeField(default=datetime.datetime.now)

    class Meta:
        database = db
        table_name = "ceiling_rating"


class CeilingCase(Model):
    id = AutoField()
    case_no = CharField(max_length=64, unique=True)
    item_code = CharField(max_length=64)
    dept_code = CharField(max_length=32)
    window_code = CharField(max_length=64, null=True)
    status = CharField(max_length=16)
    phone = CharField(max_length=20, null=True)
    payload = TextField()
    created_at = DateTimeField(default=datetime.datetime.now)

    class Meta:
        database = db
        table_name = "ceiling_case"


CHANNELS = {"pad", "kiosk", "paper", "pc"}
app = Flask(__name__)


@app.before_request
def _open():
    db.connect(reuse_if_open=True)


@app.teardown_request
def _close(exc):
    if not db.is_closed():
        db.close()


@app.get("/healthz")
def healthz():
    db.execute_sql("SELECT 1")
    return jsonify(status="ok")


def _rating(d):
    if not isinstance(d, dict):
        return None
    level, channel, window = d.get("level"), d.get("channel"), d.get("window_code")
    labels = d.get("labels", [])
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        return None
    if channel not in CHANNELS or not isinstance(window, str) or not 0 < len(window) <= 64:
        return None
    if not isinstance(labels, list) or len(labels) > 10 or not all(isinstance(x, str) for x in labels):
        return None
    device = d.get("device_id")
    if device is not None and (not isinstance(device, str) or len(device) > 40):
        return None
    return {"window_code": window, "channel": channel, "level": level, "labels": ",".join(labels), "device_id": device}


@app.post("/ratings")
def create_rating():
    data = _rating(request.get_json(silent=True))
    if data is None:
        return jsonify(error="invalid"), 422
    with db.atomic():
        rid = CeilingRating.insert(**data).execute()
    return jsonify(rating_id=rid, is_bad=data["level"] <= 2), 201


def _case(d):
    if not isinstance(d, dict):
        return None
    for key in ("case_no", "item_code", "dept_code"):
        if not isinstance(d.get(key), str) or not 0 < len(d[key]) <= 64:
            return None
    if d.get("status") not in ("accepted", "completed"):
        return None
    applicant = d.get("applicant") or {}
    return {
        "case_no": d["case_no"],
        "item_code": d["item_code"],
        "dept_code": d["dept_code"],
        "window_code": d.get("window_code"),
        "status": d["status"],
        "phone": applicant.get("phone") if isinstance(applicant, dict) else None,
        "payload": json.dumps(d, ensure_ascii=False),
    }


@app.post("/cases/batch")
def create_cases():
    payload = request.get_json(silent=True)
    if not isinstance(payload, list) or len(payload) > 1000:
        return jsonify(error="invalid"), 422
    rows, results = [], []
    for index, element in enumerate(payload):
        row = _case(element)
        if row is None:
            results.append({"index": index, "status": 422})
        else:
            rows.append(row)
            results.append({"index": index, "status": 201, "case_no": row["case_no"]})
    with db.atomic():
        if rows:
            CeilingCase.insert_many(rows).execute()
    return jsonify(results)


def init_schema() -> None:
    with db.connection_context():
        db.drop_tables([CeilingRating, CeilingCase], safe=True)
        db.create_tables([CeilingRating, CeilingCase])


def counts() -> tuple[int, int]:
    with db.connection_context():
        return CeilingRating.select().count(), CeilingCase.select().count()


if __name__ == "__main__":
    if sys.argv[1:] == ["init"]:
        init_schema()
    elif sys.argv[1:] == ["count"]:
        print(*counts())
    else:
        sys.exit("usage: python -m bench.ceiling_app init|count")
