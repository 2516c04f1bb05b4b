"""Schemathesis against a live server: every JSON operation in /api/openapi.json,
positive and negative generated requests; no 5xx, no answer outside the document.

The document is loaded from the server; the test then narrows a few parameters to
values that exist in its data (the callback token, case numbers, codes), so that
positive requests reach deep into the services instead of stopping at 404/422.
"""

import copy
from collections import Counter

import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import given
from hypothesis import settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from .conftest import CALLBACK_TOKEN

EXAMPLES = 25  # per operation and generation mode: ~2 minutes per backend at most
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def narrowed(raw: dict, world) -> dict:
    doc = copy.deepcopy(raw)
    paths = doc["paths"]
    for name in ("/sms/aliyun/{token}/up", "/sms/aliyun/{token}/report"):
        paths[name]["post"]["parameters"][0]["schema"] = {"type": "string", "enum": [CALLBACK_TOKEN, "wrong-token"]}
    get_case = paths["/api/v1/cases/{case_no}"]["get"]["parameters"][0]
    get_case["schema"] = {"type": "string", "enum": ["GA-2026-0001", "RS-2026-0001", "GA-404"]}
    case_in = paths["/api/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    case_in["dept_code"] = {"type": "string", "enum": ["GAJ", "RSJ"]}
    case_in["item_code"] = {"type": "string", "enum": ["610118-GAJ-001", "610118-RSJ-001", "NEW-ITEM-1"]}
    case_in["window_code"] = {"type": "string", "enum": ["W04", "W05"]}
    case_in["staff_code"] = {"type": "string", "enum": ["S001", "S002"]}
    case_in["applicant"]["properties"]["phone"] = {"type": "string", "enum": ["13800138000", "0298-1234567", "x"]}
    rating_in = paths["/api/v1/ratings"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    rating_in["properties"]["case_no"] = {"type": "string", "enum": ["GA-2026-0001", "RS-2026-0001", "GA-404"]}
    rating_in["properties"]["window_code"] = {"type": "string", "enum": ["W04", "W05"]}
    rating_in["properties"]["staff_code"] = {"type": "string", "enum": ["S001", "S002"]}
    rating_in["properties"]["labels"]["items"] = {"type": "string", "enum": ["501", "401", "201", "101", "999"]}
    codes = [world.police_case["rating_code"], world.social_case["rating_code"], "ABCDEFGH"]
    scenes = ["w:W04", "s:S002", "w:NOPE"]
    for param in paths["/api/wx/rating-context"]["get"]["parameters"]:
        param["schema"] = {"type": "string", "enum": codes if param["name"] == "code" else scenes}
    wx_in = paths["/api/wx/ratings"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    wx_in["code"] = {"type": "string", "enum": codes}
    wx_in["scene"] = {"type": "string", "enum": scenes}
    wx_in["labels"]["items"] = {"type": "string", "enum": ["501", "201", "999"]}
    up = paths["/sms/aliyun/{token}/up"]["post"]["requestBody"]["content"]["application/json"]["schema"]["items"]
    up["properties"]["phone_number"] = {"type": "string", "enum": ["13800138000", "13900139000", "12"]}
    report = paths["/sms/aliyun/{token}/report"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    report["items"]["properties"]["phone_number"] = {"type": "string", "enum": ["13800138000", "+8613900139000"]}
    return doc


def auth_for(path: str, world) -> dict:
    if path.startswith("/api/v1/") and path not in ("/api/v1/departments", "/api/v1/labels"):
        return {"Authorization": f"Bearer {world.police_key}"}
    if path.startswith("/api/wx/") and path != "/api/wx/login":
        return {"Authorization": f"Bearer {world.wx_alice}"}
    return {}


def test_every_operation_answers_inside_the_document(live, world):
    raw = requests.get(live + "/api/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(narrowed(raw, world))
    session = requests.Session()
    sent = {"requests": 0, "statuses": Counter()}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 18  # … and /public/results.json

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, live, session, auth_for(operation.path, world), sent, failures)

    print(f"schemathesis: {sent['requests']} requests over {len(operations)} operations: {dict(sent['statuses'])}")
    assert sent["requests"] >= len(operations) * 10
    assert not failures, "\n\n".join(failures[:20])


def fuzz(operation, mode, live, session, headers, sent, failures) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        sent["requests"] += 1
        response = case.call(base_url=live, session=session, headers=headers, timeout=30)
        sent["statuses"][response.status_code] += 1

        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:  # collected, all reported at the end
            failures.append(f"{mode.value} {case.method} {case.formatted_path} -> {response.status_code}: {exc}")

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid input to generate.
        assert mode is GenerationMode.NEGATIVE, operation.label
