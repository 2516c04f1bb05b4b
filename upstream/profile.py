"""The field-mapping profile: how one rating becomes one record of the city system.

Provinces differ in channel codes, level order and label codes (see the spec
notes), so all of it is configuration (`[upstream]`); the defaults are the
contract's default profile, which the simulator speaks:

- `pf` per channel: pc 1 (网上办事大厅), wechat 2 (mini program = 移动端),
  qr 3 (二维码), pad 4 (窗口评价器 = 政务大厅平板电脑), kiosk 5 and paper 5
  (政务大厅其他终端: a keyed-in paper form is taken at the hall), phone 6
  (电话回访), sms 7 and h5 7 — the h5 page is the one behind the SMS
  invitation link, so it counts as the SMS channel like a reply by SMS.
- `satisfaction`: 5 非常满意 … 1 非常不满意 (`5_best`); `1_best` is GB/T 39046 A.8.
- `evalDetail`: our label codes, renamed by `label_codes = ["ours=theirs"]`.
- `effective` (1 adopted, 0 left out) with `invalidReason`, and `changeNo` (0 as
  first sent, n for the rating's n-th change): an approved appeal re-sends the
  record with 0, a rejected or reversed one with 1; the city keeps the highest
  change. The three names are configuration (`effective_field` …), so a
  province can map them.
"""

import datetime as dt
from dataclasses import dataclass
from dataclasses import field
from typing import NamedTuple

from peewee import JOIN
from peewee import fn

from models import CHANNELS
from models import Case
from models import Department
from models import Item
from models import Rating
from models import UpstreamPush
from models import db

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class MappingError(Exception):
    """A rating this profile cannot express (a local configuration gap)."""


class RatingFacts(NamedTuple):
    """What a record says of one rating: its own columns and its case's, item's and department's."""

    rating_id: int
    channel: str
    level: int
    labels: str
    comment: str | None
    created_at: dt.datetime
    sequence: int
    case_no: str | None
    item_code: str | None
    item_name: str | None
    dept_code: str
    dept_credit_code: str | None
    dept_name: str
    excluded: bool
    excluded_reason: str | None

    @classmethod
    def load(cls, rating_ids: list[int]) -> dict:
        """{rating id: its facts} in one query, as plain tuples: a push builds thousands of records
        a second, and model instances for a rating and its three neighbours cost more than the query.
        The SQL is compiled once per number of ids (a push asks for chunks of one size)."""
        if not rating_ids:
            return {}
        key = (len(rating_ids), db.obj.param)
        sql = _FACTS_SQL.get(key)
        if sql is None:
            sql, params = _facts_query(rating_ids).sql()
            if list(params) != list(rating_ids):
                raise AssertionError("the facts query's only parameters are the rating ids")
            _FACTS_SQL[key] = sql
        convert = Rating.created_at.python_value
        rows = db.execute_sql(sql, list(rating_ids)).fetchall()
        # Raw rows: the time and the flag as the driver gives them (SQLite: text and 0/1).
        return {row[0]: cls(*row[:5], convert(row[5]), *row[6:13], bool(row[13]), row[14]) for row in rows}


_FACTS_SQL: dict = {}


def _facts_query(rating_ids: list[int]):
    return (
        Rating.select(
            Rating.id,
            Rating.channel,
            Rating.level,
            Rating.labels,
            Rating.comment,
            Rating.created_at,
            Rating.sequence,
            Case.case_no,
            Item.code,
            Item.name,
            Department.code,
            Department.credit_code,
            Department.name,
            Rating.excluded,
            Rating.excluded_reason,
        )
        .join(Case, JOIN.LEFT_OUTER, on=(Rating.case == Case.id))
        # The rating core copies the case's item onto the rating; older ratings may have only the case's.
        .join(Item, JOIN.LEFT_OUTER, on=(Item.id == fn.COALESCE(Rating.item, Case.item)))
        .join(Department, on=(Rating.department == Department.id))
        .where(Rating.id.in_(rating_ids))
    )


@dataclass(frozen=True)
class Profile:
    url: str
    app_id: str
    app_secret: str
    area_code: str
    data_source: str
    pf: dict
    satisfaction_order: str = "5_best"
    effective_field: str = "effective"
    invalid_reason_field: str = "invalidReason"
    change_field: str = "changeNo"
    label_codes: dict = field(default_factory=dict)
    signing: str = "hmac-sha256"
    sm2_private_key: str = ""
    sm2_public_key: str = ""
    sm4_key: str = ""
    query_url: str = ""
    batch_size: int = 50
    timeout_seconds: int = 10
    retries: int = 2
    backoff_seconds: int = 5
    backoff_max_seconds: int = 600
    reconcile_days: int = 3

    @classmethod
    def from_settings(cls, up) -> "Profile":
        return cls(
            url=up.url,
            app_id=up.app_id,
            app_secret=up.app_secret,
            area_code=up.area_code,
            data_source=up.data_source,
            pf=dict(up.pf),
            satisfaction_order=up.satisfaction_order,
            effective_field=up.effective_field,
            invalid_reason_field=up.invalid_reason_field,
            change_field=up.change_field,
            label_codes=dict(pair.split("=", 1) for pair in up.label_codes),
            signing=up.signing,
            sm2_private_key=up.sm2_private_key,
            sm2_public_key=up.sm2_public_key,
            sm4_key=up.sm4_key,
            query_url=up.query_url,
            batch_size=up.batch_size,
            timeout_seconds=up.timeout_seconds,
            retries=up.retries,
            backoff_seconds=up.backoff_seconds,
            backoff_max_seconds=up.backoff_max_seconds,
            reconcile_days=up.reconcile_days,
        )

    def new_eval_id(self) -> str:
        """Issued once per rating and stored: stable across retries, restarts and re-installs."""
        return UpstreamPush.new_eval_id(self.area_code)

    def new_eval_ids(self, count: int) -> list[str]:
        return UpstreamPush.new_eval_ids(self.area_code, count)

    def satisfaction(self, level: int) -> int:
        return level if self.satisfaction_order == "5_best" else 6 - level

    def record(self, facts: RatingFacts, eval_id: str, change: dict | None = None) -> dict:
        """The record for one rating (`RatingFacts.load`) as the city wants it: as it now stands,
        or as one of its changes (`UpstreamPush.queue_change`'s outbox payload) says."""
        if facts.channel not in self.pf:
            raise MappingError(f"渠道 {CHANNELS.get(facts.channel, facts.channel)} 未配置 pf 代码")
        labels = [self.label_codes.get(code, code) for code in facts.labels.split(",") if code]
        return {
            "evalId": eval_id,
            # On-site ratings without a case (window QR code, evaluator device) have no 办件.
            "projectNo": facts.case_no or "",
            "taskCode": facts.item_code or "",
            "taskName": facts.item_name or "",
            "deptCode": facts.dept_credit_code or facts.dept_code,
            "deptName": facts.dept_name,
            "areaCode": self.area_code,
            "pf": self.pf[facts.channel],
            "satisfaction": self.satisfaction(facts.level),
            "evalDetail": ",".join(labels),
            "writingEvaluation": facts.comment or "",
            # TIME_FORMAT, as isoformat writes it in C (strftime was 6 % of a push's Python).
            "assessTime": facts.created_at.isoformat(sep=" ", timespec="seconds"),
            "assessNumber": facts.sequence,
            "dataSource": self.data_source,
            **self.effectiveness(facts, change),
        }

    def effectiveness(self, facts: RatingFacts, change: dict | None) -> dict:
        """`effective` (and `invalidReason` when 0) and the change number, under the profile's names."""
        if change is not None:
            effective, reason, number = change["effective"], change.get("reason"), change["change"]
        else:
            effective, reason, number = (0 if facts.excluded else 1), facts.excluded_reason, 0
        fields = {self.effective_field: effective, self.change_field: number}
        if effective == 0:
            fields[self.invalid_reason_field] = (reason or "评价已排除")[:200]
        return fields
