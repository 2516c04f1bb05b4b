"""The HTTP client of the city system: signed batches, retries with backoff.

`send(records)` returns the city's verdict per `evalId` or raises
`TransientError` (5xx, timeout, no answer, an answer that is not the
contract's): the caller keeps the records queued and sends them again with
the same `evalId`, which the city drops as duplicates.
"""

import logging
import random
import time
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .signing import Signer

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

# Within one job run, the pause before retry n is base * 2**n with jitter.
RETRY_BASE_SECONDS = 0.5


class TransientError(Exception):
    """The city system did not give a usable answer; try again later."""


@dataclass
class Answer:
    accepted: set = field(default_factory=set)
    rejected: dict = field(default_factory=dict)


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with "equal jitter": between half and all of base * 2**attempt."""
    delay = min(cap, base * (2 ** max(0, attempt)))
    return delay / 2 + random.uniform(0, delay / 2)


class Client:
    def __init__(self, profile, session: "requests.Session | None" = None, sleep=time.sleep):
        import requests  # here, not at import: a web worker that never pushes upstream does without it

        self.profile = profile
        self.signer = Signer.for_profile(profile)
        self.session = session or requests.Session()
        self.sleep = sleep

    def send(self, records: list[dict]) -> Answer:
        """POST one batch; retries transient failures `profile.retries` times."""
        return self._with_retries(lambda: self._post(records), f"push of {len(records)} record(s)")

    def _with_retries(self, call, what: str):
        last = None
        for attempt in range(self.profile.retries + 1):
            if attempt:
                self.sleep(backoff(attempt - 1, RETRY_BASE_SECONDS, 10))
            try:
                return call()
            except TransientError as exc:
                last = exc
                log.warning("upstream %s failed (attempt %d): %s", what, attempt + 1, exc)
        raise last

    def _post(self, records: list[dict]) -> Answer:
        body = self.signer.encode_body({"records": records})
        data = self._request("POST", self.profile.url, body)
        accepted = data.get("accepted", [])
        rejected = data.get("rejected", [])
        if not isinstance(accepted, list) or not isinstance(rejected, list):
            raise TransientError("上级系统应答格式不符（accepted/rejected 不是数组）")
        answer = Answer(accepted={str(e) for e in accepted})
        for item in rejected:
            if isinstance(item, dict) and item.get("evalId"):
                answer.rejected[str(item["evalId"])] = str(item.get("reason") or "未说明原因")[:500]
        return answer

    def query_day(self, day) -> dict[str, int | None]:
        """{evalId: its effective (1/0), or None when the city does not say} for the ratings
        the city holds of `day` (对账接口)."""
        url = self.profile.query_url + ("&" if "?" in self.profile.query_url else "?") + urlencode({"date": str(day)})
        data = self._with_retries(lambda: self._request("GET", url, b""), f"query of {day}")
        ids = data.get("evalIds")
        if not isinstance(ids, list):
            raise TransientError("上级系统对账应答格式不符（evalIds 不是数组）")
        effective = data.get(self.profile.effective_field)
        effective = effective if isinstance(effective, dict) else {}
        return {str(e): effective.get(str(e)) if effective.get(str(e)) in (0, 1) else None for e in ids}

    def _request(self, method: str, url: str, body: bytes) -> dict:
        import requests

        headers = self.signer.headers(body)
        timeout = self.profile.timeout_seconds
        try:
            response = self.session.request(method, url, data=body or None, headers=headers, timeout=timeout)
        except requests.Timeout:
            raise TransientError(f"上级系统 {timeout} 秒内无应答") from None
        except requests.RequestException as exc:
            raise TransientError(f"无法连接上级系统：{type(exc).__name__}") from None
        if response.status_code != 200:
            raise TransientError(f"上级系统返回 HTTP {response.status_code}：{response.text[:200]}")
        try:
            data = response.json()
        except ValueError:
            raise TransientError("上级系统应答不是 JSON") from None
        if not isinstance(data, dict) or str(data.get("code")) != "200":
            message = data.get("message", "") if isinstance(data, dict) else ""
            raise TransientError(f"上级系统应答 code={data.get('code') if isinstance(data, dict) else '?'} {message}")
        return data
