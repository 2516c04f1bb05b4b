"""The action forms of the ticket page, and where they go.

This module is the one seam between the admin and the rectification workflow
(`ratings.workflow`: the ticket state machine, ledger, appeal, reply, 回访). The
admin never changes a ticket's state itself: it lists what
`allowed_actions(ticket, user)` offers and hands a submitted form to
`transition(ticket, action, actor, **fields)`. While the workflow module is not
installed, the page shows the ticket and its history read-only and says so.
"""

import importlib
from dataclasses import dataclass
from dataclasses import field

WORKFLOW_MODULE = "ratings.workflow"

# What each action asks of the user; the workflow decides which are allowed.
ACTION_FORMS = {
    "assign": ("指派处理人", [("assignee", "处理人", "text")]),
    "verify": ("开始核实", [("note", "核实情况（电话回访核实）", "textarea")]),
    "rectify": ("整改", [("note", "整改措施", "textarea")]),
    "rectify_done": ("整改完成", [("note", "整改结果", "textarea")]),
    "ledger": ("列入整改台账", [("plan", "整改方案", "textarea"), ("due", "计划完成日期", "date")]),
    "explain": ("解释说明", [("note", "解释说明（无法律依据等）", "textarea")]),
    "appeal": ("提出申诉", [("reason", "申诉理由（误评、恶意差评）", "textarea")]),
    "approve_appeal": ("申诉通过", [("note", "审核意见", "textarea")]),
    "reject_appeal": ("申诉驳回", [("note", "审核意见", "textarea")]),
    "reply": ("回复群众", [("reply_text", "回复内容", "textarea")]),
    "follow_up": (
        "回访",
        [("satisfied", "回访整改满意度（满意/基本满意/不满意）", "text"), ("note", "回访记录", "textarea")],
    ),
    "close": ("销号", [("note", "销号说明", "textarea")]),
}


@dataclass
class ActionForm:
    action: str
    title: str
    fields: list = field(default_factory=list)


def workflow():
    """The workflow module, or None while it is not installed."""
    try:
        return importlib.import_module(WORKFLOW_MODULE)
    except ImportError:
        return None


def available(ticket, user) -> list[ActionForm]:
    module = workflow()
    if module is None:
        return []
    forms = []
    for action in module.allowed_actions(ticket, user):
        title, fields = ACTION_FORMS.get(action, (action, [("note", "说明", "textarea")]))
        forms.append(ActionForm(action, title, fields))
    return forms


def perform(ticket, action: str, user, form) -> None:
    """Hand a submitted action to the workflow; it validates, records history and audits."""
    module = workflow()
    if module is None:
        raise LookupError("workflow not installed")
    if action not in module.allowed_actions(ticket, user):
        raise PermissionError(action)
    _, fields = ACTION_FORMS.get(action, (action, [("note", "", "textarea")]))
    values = {name: (form.get(name) or "").strip() for name, _, _ in fields}
    module.transition(ticket, action, user, **values)


@dataclass
class Event:
    at: object
    action: str
    actor: str
    note: str


def history(ticket) -> list[Event]:
    """The ticket's events (oldest first), or [] while the workflow is not installed.

    Events are read by attribute with the usual names (`at`/`created_at`,
    `action`/`kind`, `actor`/`user`, `note`/`detail`), and the action shown by
    its Chinese title.
    """
    module = workflow()
    if module is None or not hasattr(module, "history"):
        return []
    events = []
    for e in module.history(ticket):
        action = _first(e, "action", "kind")
        actor = _first(e, "actor", "user")
        events.append(
            Event(
                at=_first(e, "at", "created_at"),
                action=ACTION_FORMS.get(action, (action,))[0],
                actor=getattr(actor, "username", actor) or "",
                note=_first(e, "note", "detail") or "",
            )
        )
    return events


def _first(obj, *names):
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None
