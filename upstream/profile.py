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
"""

import uuid
from dataclasses import dataclass
from dataclasses import field

from models import CHANNELS

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class MappingError(Exception):
    """A rating this profile cannot express (a local configuration gap)."""


@dataclass(frozen=True)
class Profile:
    url: str
    app_id: str
    app_secret: str
    area_code: str
    data_source: str
    pf: dict
    satisfaction_order: str = "5_best"
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
        return f"{self.area_code}-{uuid.uuid4().hex}"

    def satisfaction(self, level: int) -> int:
        return level if self.satisfaction_order == "5_best" else 6 - level

    def record(self, rating, eval_id: str) -> dict:
        """The record for `rating` (loaded with case, item and department) as the city wants it."""
        if rating.channel not in self.pf:
            raise MappingError(f"渠道 {CHANNELS.get(rating.channel, rating.channel)} 未配置 pf 代码")
        case = rating.case
        # The rating core copies the case's item onto the rating.
        item = rating.item if rating.item_id is not None else (case.item if case is not None else None)
        department = rating.department
        labels = [self.label_codes.get(code, code) for code in rating.label_codes]
        return {
            "evalId": eval_id,
            # On-site ratings without a case (window QR code, evaluator device) have no 办件.
            "projectNo": case.case_no if case is not None else "",
            "taskCode": item.code if item is not None else "",
            "taskName": item.name if item is not None else "",
            "deptCode": department.credit_code or department.code,
            "deptName": department.name,
            "areaCode": self.area_code,
            "pf": self.pf[rating.channel],
            "satisfaction": self.satisfaction(rating.level),
            "evalDetail": ",".join(labels),
            "writingEvaluation": rating.comment or "",
            "assessTime": rating.created_at.strftime(TIME_FORMAT),
            "assessNumber": rating.sequence,
            "dataSource": self.data_source,
        }
