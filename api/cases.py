"""Cases reported by business systems."""

from flask import g
from flask import jsonify

from cases.batch import upsert_cases
from cases.intake import upsert_case
from cases.view import case_view
from core.errors import error
from edge.json import json_body
from models import Case

from . import bp
from .auth import require_api_key

MAX_BATCH = 1000


@bp.post("/cases")
@require_api_key
def put_case():
    """Create (201) or update (200) one case, idempotent on case_no."""
    body, created = upsert_case(json_body(), g.department)
    return jsonify(body), 201 if created else 200


@bp.post("/cases/batch")
@require_api_key
def put_cases():
    """Up to 1000 cases; one result per element, in order."""
    payload = json_body()
    if not isinstance(payload, list):
        error("invalid_body", "批量报送的请求体必须是 JSON 数组", 422)
    if len(payload) > MAX_BATCH:
        error("batch_too_large", f"一次最多报送 {MAX_BATCH} 件", 413)
    return jsonify(upsert_cases(payload, g.department))


@bp.get("/cases/<path:case_no>")
@require_api_key
def get_case(case_no):
    """The case as the product sees it: invitation, rating, ticket."""
    case = Case.by_case_no(case_no)
    if case is None or case.department_id != g.department.id:
        error("case_not_found", f"办件 {case_no} 不存在或不属于本部门", 404)
    return jsonify(case_view(case))
