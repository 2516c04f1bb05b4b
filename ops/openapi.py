"""The OpenAPI 3.0 document of every JSON endpoint, as data (served by spec.py).

Kept by hand and checked by tests/proof/test_schemathesis.py: every answer the
live server gives to generated requests must be documented here, body and status.
"""

NULLABLE_STR = {"type": "string", "nullable": True}
TIME = {"type": "string", "format": "date-time", "nullable": True}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string", "pattern": "^[a-z0-9_]+$"}, "message": {"type": "string"}},
        }
    },
}

_ERROR_TEXT = {
    400: "请求格式不正确（invalid_json、json_too_deep：嵌套超过 32 层、invalid_item 等）",
    401: "缺少或无效的密钥 / 登录凭证",
    403: "无权访问（其他部门的数据、被拒绝的地址、channel_not_allowed、not_first_rater）",
    404: "资源不存在（办件、评价码、二维码、回调令牌）",
    405: "不支持该请求方法",
    409: "冲突：已评价、已追评、尚未评价",
    410: "评价期限已过",
    413: "请求内容过大",
    422: "字段校验失败",
    429: "请求过于频繁或次数已达上限",
    502: "微信接口返回错误",
    503: "数据库繁忙（database_busy，带 Retry-After）或依赖服务不可用（wechat_not_configured）",
}


def errors(*statuses) -> dict:
    """Error answers in the contract's shape; 400 (unstorable text), 413, 429 and 503 can answer any request."""
    wanted = sorted(set(statuses) | {400, 413, 429, 503})
    return {
        str(status): {
            "description": _ERROR_TEXT[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status in wanted
    }


def ok(schema: dict, description: str = "成功", status: int = 200) -> dict:
    return {str(status): {"description": description, "content": {"application/json": {"schema": schema}}}}


def body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


LABEL = {
    "type": "object",
    "required": ["code", "text"],
    "properties": {"code": {"type": "string"}, "text": {"type": "string"}},
}
LEVEL = {
    "type": "object",
    "required": ["level", "name", "is_bad", "labels"],
    "properties": {
        "level": {"type": "integer", "minimum": 1, "maximum": 5},
        "name": {"type": "string"},
        "is_bad": {"type": "boolean"},
        "labels": {"type": "array", "items": LABEL},
    },
}
CODE_TEXT = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[\w\-.]{1,64}$"}

CASE_IN = {
    "type": "object",
    "required": ["case_no", "item_code", "dept_code", "status"],
    "properties": {
        "case_no": {"type": "string", "pattern": r"^[\w\-./:#]{1,64}$"},
        "item_code": CODE_TEXT,
        "item_name": {"type": "string", "maxLength": 200},
        "dept_code": CODE_TEXT,
        "hall_code": CODE_TEXT,
        "window_code": CODE_TEXT,
        "staff_code": CODE_TEXT,
        "mode": {"type": "string", "enum": ["offline", "online"]},
        "status": {"type": "string", "enum": ["accepted", "completed"]},
        "accepted_at": {"type": "string", "format": "date-time"},
        "completed_at": {"type": "string", "format": "date-time"},
        "applicant": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 100},
                "phone": {"type": "string", "maxLength": 20},
                "type": {"type": "string", "enum": ["person", "legal"]},
                "id_number": {"type": "string", "maxLength": 32},
            },
        },
    },
}
CASE_RESULT = {
    "type": "object",
    "required": ["case_no", "rating_code", "rating_url", "invitation"],
    "properties": {
        "case_no": {"type": "string"},
        "rating_code": {"type": "string"},
        "rating_url": {"type": "string"},
        "invitation": {"type": "string", "enum": ["scheduled", "none", "opted_out", "already_rated"]},
    },
}
BATCH_RESULT = {
    "type": "object",
    "required": ["index", "status"],
    "properties": {
        "index": {"type": "integer", "minimum": 0},
        "status": {"type": "integer"},
        "case_no": {"type": "string"},
        "rating_code": {"type": "string"},
        "rating_url": {"type": "string"},
        "invitation": {"type": "string"},
        "error": ERROR["properties"]["error"],
    },
}
CASE_VIEW = {
    "type": "object",
    "required": ["case_no", "status", "invitation", "rating", "ticket"],
    "properties": {
        "case_no": {"type": "string"},
        "status": {"type": "string", "enum": ["accepted", "completed"]},
        "item_code": {"type": "string"},
        "accepted_at": TIME,
        "completed_at": TIME,
        "invitation": {
            "type": "object",
            "nullable": True,
            "required": ["state", "channel", "sent_at"],
            "properties": {"state": {"type": "string"}, "channel": {"type": "string"}, "sent_at": TIME},
        },
        "rating": {
            "type": "object",
            "nullable": True,
            "required": ["level", "channel", "labels", "comment", "created_at", "is_bad"],
            "properties": {
                "level": {"type": "integer", "minimum": 1, "maximum": 5},
                "channel": {"type": "string"},
                "labels": {"type": "array", "items": {"type": "string"}},
                "comment": NULLABLE_STR,
                "created_at": TIME,
                "is_bad": {"type": "boolean"},
                "excluded": {"type": "boolean"},
            },
        },
        "ticket": {
            "type": "object",
            "nullable": True,
            "required": ["ticket_no", "state", "due_at"],
            "properties": {"ticket_no": {"type": "string"}, "state": {"type": "string"}, "due_at": TIME},
        },
    },
}
RATING_RESULT = {
    "type": "object",
    "required": ["rating_id", "is_bad", "held"],
    "properties": {
        "rating_id": {"type": "integer"},
        "is_bad": {"type": "boolean"},
        "held": {"type": "boolean", "description": "保留但待区行政审批局核实后计入统计（刷评审核）"},
        "notice": {"type": "string", "description": "held 时给评价人看的说明"},
        "ticket_no": {"type": "string"},
        "subscribe_templates": {"type": "array", "items": {"type": "string"}},
    },
}
RATING_IN = {
    "type": "object",
    "required": ["level", "channel"],
    "properties": {
        "case_no": {"type": "string", "minLength": 1, "maxLength": 64},
        "window_code": {"type": "string", "minLength": 1, "maxLength": 64},
        "staff_code": {"type": "string", "minLength": 1, "maxLength": 64},
        "level": {"type": "integer", "minimum": 1, "maximum": 5},
        "labels": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "comment": {"type": "string", "maxLength": 500},
        "channel": {
            "type": "string",
            "enum": ["pad", "kiosk", "paper", "pc", "phone"],
            "description": "部门密钥：pad、kiosk、pc（本部门）；paper、phone（12345，须 case_no）仅限局级密钥"
            "（create-api-key --bureau），部门密钥得 403 channel_not_allowed",
        },
        "addendum": {"type": "boolean", "description": "追评：仅首次评价人（同一设备）"},
        "followup": {"type": "boolean", "deprecated": True, "description": "old name of addendum"},
        "device_id": {"type": "string", "pattern": r"^[\w\-.:]{1,40}$"},
    },
}
WX_RATING_IN = {
    "type": "object",
    "required": ["level"],
    "properties": {
        "code": {"type": "string", "minLength": 1, "maxLength": 16},
        "scene": {"type": "string", "minLength": 1, "maxLength": 64},
        "level": {"type": "integer", "minimum": 1, "maximum": 5},
        "labels": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "comment": {"type": "string", "maxLength": 500},
        "addendum": {"type": "boolean", "description": "追评：仅首次评价的同一微信用户，他人得 403 not_first_rater"},
        "followup": {"type": "boolean", "deprecated": True, "description": "old name of addendum"},
    },
}
TARGET = {
    "type": "object",
    "required": ["kind", "department"],
    "properties": {
        "kind": {"type": "string", "enum": ["case", "window", "staff"]},
        "item": NULLABLE_STR,
        "department": {"type": "string"},
        "hall": NULLABLE_STR,
        "window": NULLABLE_STR,
        "staff": NULLABLE_STR,
        "completed_at": TIME,
    },
}
RATING_CONTEXT = {
    "type": "object",
    "required": ["label_version", "levels", "target", "already_rated", "expired"],
    "properties": {
        "label_version": NULLABLE_STR,
        "levels": {"type": "array", "items": LEVEL, "minItems": 5, "maxItems": 5},
        "target": TARGET,
        "already_rated": {"type": "boolean"},
        "expired": {"type": "boolean"},
        "ratings_left_today": {"type": "integer", "nullable": True, "minimum": 0},
    },
}
MY_RATING = {
    "type": "object",
    "required": ["rating_id", "level", "level_name", "labels", "comment", "addendum", "created_at", "is_bad", "ticket"],
    "properties": {
        "rating_id": {"type": "integer"},
        "level": {"type": "integer", "minimum": 1, "maximum": 5},
        "level_name": {"type": "string"},
        "labels": {"type": "array", "items": LABEL},
        "comment": NULLABLE_STR,
        "addendum": {"type": "boolean", "description": "追评"},
        "followup": {"type": "boolean", "deprecated": True, "description": "old name of addendum"},
        "created_at": TIME,
        "is_bad": {"type": "boolean"},
        "target": {"type": "object"},
        # The mini program's 追评 entry: the case's rating code, and until when a 追评 is accepted.
        "code": NULLABLE_STR,
        "addendum_until": TIME,
        "ticket": {
            "type": "object",
            "nullable": True,
            "required": ["ticket_no", "state", "due_at", "reply"],
            "properties": {
                "ticket_no": {"type": "string"},
                "state": {"type": "string"},
                "state_name": {"type": "string"},
                "department": {"type": "string"},
                "due_at": TIME,
                "reply": {
                    "type": "object",
                    "nullable": True,
                    "required": ["text", "replied_at"],
                    "properties": {"text": {"type": "string"}, "replied_at": TIME},
                },
            },
        },
    },
}
SUBSCRIPTIONS = {
    "type": "object",
    "required": ["templates", "subscriptions"],
    "properties": {
        "templates": {"type": "object", "additionalProperties": {"type": "string"}},
        "subscriptions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["purpose", "template_id", "remaining"],
                "properties": {
                    "purpose": {"type": "string"},
                    "template_id": {"type": "string"},
                    "remaining": {"type": "integer", "minimum": 0},
                },
            },
        },
    },
}
SMS_UP = {
    "type": "object",
    "required": ["phone_number", "sequence_id"],
    "properties": {
        "phone_number": {"type": "string", "maxLength": 20},
        "content": {"type": "string", "maxLength": 1000},
        "sequence_id": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 64}, {"type": "integer"}]},
        "send_time": {"type": "string", "maxLength": 64},
        "dest_code": {"type": "string", "maxLength": 64},
        "sign_name": {"type": "string", "maxLength": 64},
    },
}
SMS_REPORT = {
    "type": "object",
    "required": ["phone_number", "biz_id", "success"],
    "properties": {
        "phone_number": {"type": "string", "maxLength": 20},
        "biz_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "success": {"type": "boolean"},
        "out_id": {"type": "string", "maxLength": 64},
        "err_code": {"type": "string", "maxLength": 64},
        "err_msg": {"type": "string", "maxLength": 500},
        "send_time": {"type": "string", "maxLength": 64},
        "report_time": {"type": "string", "maxLength": 64},
        "sms_size": {"type": "string", "maxLength": 64},
    },
}
SMS_ACK = {
    "type": "object",
    "required": ["code", "msg"],
    "properties": {"code": {"type": "integer", "enum": [0]}, "msg": {"type": "string"}},
}
API_KEY = [{"apiKey": []}]
WX_TOKEN = [{"wxToken": []}]
CALLBACK_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _callback(summary: str, item: dict) -> dict:
    return {
        "post": {
            "tags": ["sms"],
            "summary": summary,
            "parameters": [CALLBACK_TOKEN],
            "requestBody": body({"type": "array", "minItems": 1, "maxItems": 1000, "items": item}),
            "responses": {**ok(SMS_ACK, "接收成功"), **errors(400, 404)},
        }
    }


def _wx_target_params() -> list:
    return [
        {"name": "code", "in": "query", "schema": {"type": "string", "minLength": 1, "maxLength": 16}},
        {"name": "scene", "in": "query", "schema": {"type": "string", "minLength": 1, "maxLength": 64}},
    ]


RATE = {"type": "number", "nullable": True, "description": "百分比，两位小数；分母为 0 时为 null"}
UNIT_RESULT = {
    "type": "object",
    "required": [
        "code",
        "name",
        "rated",
        "levels",
        "good_rate",
        "bad_rate",
        "unrated_rate",
        "reply_rate",
        "followup_rate",
        "followup_satisfied_rate",
        "on_time_rate",
    ],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "rated": {"type": "integer", "description": "有效首次评价数（不含追评）"},
        "levels": {
            "type": "object",
            "required": ["5", "4", "3", "2", "1"],
            "properties": {level: {"type": "integer"} for level in ("5", "4", "3", "2", "1")},
        },
        "good_rate": {**RATE, "description": "好评率：（非常满意＋满意＋基本满意）÷ 评价数"},
        "bad_rate": {**RATE, "description": "差评率：（不满意＋非常不满意）÷ 评价数"},
        "unrated_rate": {**RATE, "description": "未评率：办结未评件数 ÷ 办结件数"},
        "reply_rate": {**RATE, "description": "差评回复率"},
        "followup_rate": {**RATE, "description": "回访整改率"},
        "followup_satisfied_rate": {**RATE, "description": "回访整改满意率"},
        "on_time_rate": {**RATE, "description": "按期整改率"},
        "bad": {"type": "integer"},
        "completed": {"type": "integer"},
        "unrated": {"type": "integer"},
        "tickets": {"type": "integer", "description": "差评工单数（首次评价与追评）"},
        "overdue": {"type": "integer"},
    },
}
RESULTS = {
    "type": "object",
    "required": ["month", "closed_at", "district", "departments"],
    "properties": {
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        "closed_at": {**TIME, "description": "月度关闭（冻结）的时间；未关闭为 null"},
        "version": {"type": "integer", "nullable": True, "description": "冻结报表的版本"},
        "district": UNIT_RESULT,
        "departments": {"type": "array", "items": UNIT_RESULT},
    },
}


def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "鄠邑区政务服务“好差评”系统 API",
            "version": "1.0",
            "description": "业务系统（/api/v1）、微信小程序（/api/wx）、阿里云短信回调与运维接口。"
            ' 错误统一为 {"error": {"code", "message"}}。',
        },
        "paths": {
            "/api/v1/departments": {
                "get": {
                    "tags": ["directory"],
                    "summary": "被评价单位目录",
                    "security": [],
                    "responses": {
                        **ok(
                            {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["code", "name", "kind"],
                                    "properties": {
                                        "code": {"type": "string"},
                                        "name": {"type": "string"},
                                        "kind": {"type": "string"},
                                        "kind_name": {"type": "string"},
                                    },
                                },
                            }
                        ),
                        **errors(),
                    },
                }
            },
            "/api/v1/labels": {
                "get": {
                    "tags": ["directory"],
                    "summary": "评价标签字典",
                    "security": [],
                    "responses": {
                        **ok(
                            {
                                "type": "object",
                                "required": ["version", "levels"],
                                "properties": {
                                    "version": {"type": "string"},
                                    "levels": {"type": "array", "items": LEVEL, "minItems": 5, "maxItems": 5},
                                },
                            }
                        ),
                        **errors(404),
                    },
                }
            },
            "/api/v1/cases": {
                "post": {
                    "tags": ["cases"],
                    "summary": "报送一件办件（按 case_no 幂等）",
                    "security": API_KEY,
                    "requestBody": body(CASE_IN),
                    "responses": {
                        **ok(CASE_RESULT, "已更新"),
                        **ok(CASE_RESULT, "新建", 201),
                        **errors(400, 401, 403, 422),
                    },
                }
            },
            "/api/v1/cases/batch": {
                "post": {
                    "tags": ["cases"],
                    "summary": "批量报送（≤ 1000 件），逐件返回结果",
                    "security": API_KEY,
                    "requestBody": body({"type": "array", "maxItems": 1000, "items": CASE_IN}),
                    "responses": {**ok({"type": "array", "items": BATCH_RESULT}), **errors(400, 401, 422)},
                }
            },
            "/api/v1/cases/{case_no}": {
                "get": {
                    "tags": ["cases"],
                    "summary": "办件的邀请、评价与工单情况",
                    "security": API_KEY,
                    "parameters": [
                        {
                            "name": "case_no",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1},
                        }
                    ],
                    "responses": {**ok(CASE_VIEW), **errors(401, 404)},
                }
            },
            "/api/v1/ratings": {
                "post": {
                    "tags": ["ratings"],
                    "summary": "窗口评价器、自助终端、网上办事大厅的评价；局级密钥另可录入纸质评价表、12345 电话评价",
                    "security": API_KEY,
                    "requestBody": body(RATING_IN),
                    "responses": {**ok(RATING_RESULT, "已评价", 201), **errors(400, 401, 403, 404, 409, 410, 422)},
                }
            },
            "/api/wx/login": {
                "post": {
                    "tags": ["wx"],
                    "summary": "小程序登录（code2Session）",
                    "security": [],
                    "requestBody": body(
                        {
                            "type": "object",
                            "required": ["code"],
                            "properties": {"code": {"type": "string", "minLength": 1, "maxLength": 128}},
                        }
                    ),
                    "responses": {
                        **ok(
                            {
                                "type": "object",
                                "required": ["token", "expires_in"],
                                "properties": {"token": {"type": "string"}, "expires_in": {"type": "integer"}},
                            }
                        ),
                        **errors(400, 403, 422, 502),
                    },
                }
            },
            "/api/wx/rating-context": {
                "get": {
                    "tags": ["wx"],
                    "summary": "被评价对象、评价等级与标签（评价码 code 或二维码 scene，二选一）",
                    "security": WX_TOKEN,
                    "parameters": _wx_target_params(),
                    "responses": {**ok(RATING_CONTEXT), **errors(401, 404, 422)},
                }
            },
            "/api/wx/ratings": {
                "post": {
                    "tags": ["wx"],
                    "summary": "小程序评价",
                    "security": WX_TOKEN,
                    "requestBody": body(WX_RATING_IN),
                    "responses": {**ok(RATING_RESULT, "已评价", 201), **errors(400, 401, 403, 404, 409, 410, 422)},
                }
            },
            "/api/wx/ratings/mine": {
                "get": {
                    "tags": ["wx"],
                    "summary": "我的评价及差评整改进度",
                    "security": WX_TOKEN,
                    "responses": {
                        **ok(
                            {
                                "type": "object",
                                "required": ["ratings"],
                                "properties": {"ratings": {"type": "array", "items": MY_RATING}},
                            }
                        ),
                        **errors(401),
                    },
                }
            },
            "/api/wx/subscriptions": {
                "get": {
                    "tags": ["wx"],
                    "summary": "订阅消息剩余次数",
                    "security": WX_TOKEN,
                    "responses": {**ok(SUBSCRIPTIONS), **errors(401)},
                },
                "post": {
                    "tags": ["wx"],
                    "summary": "上报 wx.requestSubscribeMessage 的结果",
                    "security": WX_TOKEN,
                    "requestBody": body(
                        {"type": "object", "additionalProperties": {"type": "string"}, "example": {"tmpl": "accept"}}
                    ),
                    "responses": {**ok(SUBSCRIPTIONS), **errors(400, 401, 422)},
                },
            },
            "/public/results.json": {
                "get": {
                    "tags": ["public"],
                    "summary": "月度评价结果（开放数据），与 /public/results 页面数字一致",
                    "security": [],
                    "parameters": [
                        {
                            "name": "month",
                            "in": "query",
                            "required": False,
                            "description": "YYYY-MM，截至本月的任一月份；省略时为最近一个已关闭的本月或上月",
                            "schema": {"type": "string", "example": "2026-10"},
                        }
                    ],
                    "responses": {**ok(RESULTS), **errors(400, 404)},
                }
            },
            "/sms/aliyun/{token}/up": _callback("阿里云短信上行（群众回复）", SMS_UP),
            "/sms/aliyun/{token}/report": _callback("阿里云短信状态报告", SMS_REPORT),
            "/healthz": {
                "get": {
                    "tags": ["ops"],
                    "summary": "健康检查",
                    "security": [],
                    "responses": {
                        **ok(
                            {
                                "type": "object",
                                "required": ["status", "wechat", "database", "scheduler"],
                                "properties": {
                                    "status": {"type": "string", "enum": ["ok"]},
                                    "wechat": {
                                        "type": "string",
                                        "enum": ["wechat", "fake", "not_configured"],
                                        "description": "微信接口：真实接口、本地模拟（仅演示）或未配置",
                                    },
                                    "warning": {"type": "string"},
                                    "database": {"type": "string", "enum": ["ok"]},
                                    "scheduler": {
                                        "type": "object",
                                        "description": "ok：调度进程持锁并按时执行任务；late：有任务未按时执行；"
                                        "lock_lost：锁连接中断、任务暂停；standby：只有待命进程；not_running：无调度进程",
                                        "required": ["status", "late_jobs", "beat_at"],
                                        "properties": {
                                            "status": {
                                                "type": "string",
                                                "enum": ["ok", "late", "lock_lost", "standby", "not_running"],
                                            },
                                            "late_jobs": {"type": "array", "items": {"type": "string"}},
                                            "beat_at": {"type": "string", "format": "date-time", "nullable": True},
                                        },
                                    },
                                },
                            }
                        ),
                        "503": {
                            "description": "数据库不可用或繁忙",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["error"],
                                        "properties": {
                                            "status": {"type": "string", "enum": ["error"]},
                                            "error": ERROR["properties"]["error"],
                                        },
                                    }
                                }
                            },
                        },
                        **errors(),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "tags": ["ops"],
                    "summary": "Prometheus 指标（仅限允许的地址或携带指标令牌）",
                    "security": [{}, {"metricsToken": []}],
                    "responses": {
                        "200": {
                            "description": "Prometheus 文本格式 0.0.4",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        **errors(403),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "tags": ["ops"],
                    "summary": "本文档",
                    "security": [],
                    "responses": {**ok({"type": "object", "required": ["openapi", "paths"]}), **errors()},
                }
            },
        },
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "部门或局级 API 密钥（create-api-key --dept CODE | --bureau）",
                },
                "wxToken": {"type": "http", "scheme": "bearer", "description": "/api/wx/login 返回的 token"},
                "metricsToken": {"type": "http", "scheme": "bearer", "description": "[metrics] token"},
            },
        },
    }
