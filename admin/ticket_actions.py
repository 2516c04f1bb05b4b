"""The action forms of the ticket page, and where they go.

The one seam between the admin and the rectification workflow (`rectification.tickets`,
`rectification.ledger`, `rectification.followup`): the admin never changes a ticket itself.
It offers what `workflow.allowed_actions(ticket, user)` lists, as forms, and
hands a submitted form to the service function of that action, which checks
the role, the state and the input, records the history and audits.
"""

from dataclasses import dataclass
from dataclasses import field

from core.errors import error
from models import LedgerItem
from models import TicketEvent
from models import User
from models.access import DEPARTMENT_ROLES
from models.ticket import FOLLOWUP_CHANNELS
from models.ticket import FOLLOWUP_RESULTS
from rectification import ledger
from rectification import tickets
from rectification import workflow


@dataclass
class Field:
    name: str
    label: str
    kind: str = "textarea"  # textarea | text | date | select
    options: list = field(default_factory=list)  # [(value, text)] for a select


@dataclass
class ActionForm:
    action: str
    title: str
    fields: list = field(default_factory=list)


@dataclass
class Event:
    at: object
    action: str
    actor: str
    note: str


def _note(label: str) -> Field:
    return Field("note", label)


def _items(ticket, pending_extension: bool = False) -> list:
    items = LedgerItem.open_for(ticket)
    if pending_extension:
        items = [item for item in items if item.extension_state == "pending"]
    return [(str(item.id), f"{item.plan[:30]}（{item.responsible}，{item.due_on:%Y-%m-%d}）") for item in items]


def _fields(ticket, action: str, settings) -> list[Field]:
    """What each action asks of the user; the service decides whether it may run."""
    if action == "assign":
        users = User.select().where(
            (User.department == ticket.department_id) & User.active & User.role.in_(DEPARTMENT_ROLES)
        )
        return [Field("assignee", "承办人", "select", [(str(u.id), u.display_name or u.username) for u in users])]
    if action == "appeal":
        return [_note("申诉理由（误评、恶意差评）"), Field("evidence", "证据（录音、监控、材料说明等）")]
    if action == "followup":
        scale = list(settings.rectification.followup_scale) + ["unreachable"]
        return [
            Field("satisfaction", "回访结果", "select", [(code, FOLLOWUP_RESULTS[code]) for code in scale]),
            Field("channel", "回访方式", "select", [(c, FOLLOWUP_CHANNELS[c]) for c in ("phone", "none")]),
            _note("回访记录"),
        ]
    if action == "put_on_ledger":
        return [_note("整改计划"), Field("responsible", "责任人", "text"), Field("due", "完成时限", "date")]
    if action == "request_extension":
        return [
            Field("item", "台账事项", "select", _items(ticket)),
            Field("due", "申请延期至", "date"),
            _note("延期理由"),
        ]
    if action == "decide_extension":
        return [
            Field("item", "台账事项", "select", _items(ticket, pending_extension=True)),
            Field("decision", "审批结果", "select", [("approve", "同意延期"), ("reject", "不同意")]),
            _note("审批意见"),
        ]
    if action == "close_ledger_item":
        return [Field("item", "台账事项", "select", _items(ticket)), _note("整改结果")]
    if action == "reply":
        return [_note("答复内容（将发送给群众）")]
    return [_note("说明")]


def available(ticket, user, settings) -> list[ActionForm]:
    if user.role == "auditor":
        return []
    return [
        ActionForm(entry["action"], entry["label"], _fields(ticket, entry["action"], settings))
        for entry in workflow.allowed_actions(ticket, user)
    ]


def perform(ticket, action: str, user, form) -> None:
    """Run a submitted action through the workflow; raises ApiError on refusal."""
    values = {key: (form.get(key) or "").strip() for key in form}
    note = values.get("note") or None
    if action in workflow.ACTIONS:
        tickets.transition(
            ticket,
            action,
            user,
            note=note,
            evidence=values.get("evidence") or None,
            satisfaction=values.get("satisfaction"),
            channel=values.get("channel") or "phone",
        )
    elif action == "assign":
        assignee = User.get_or_none(User.id == _int(values.get("assignee")))
        tickets.assign(ticket, assignee, user)
    elif action == "put_on_ledger":
        ledger.put_on_ledger(ticket, note, values.get("responsible"), values.get("due"), user)
    elif action == "request_extension":
        ledger.request_extension(_item(ticket, values), values.get("due"), note, user)
    elif action == "decide_extension":
        ledger.decide_extension(_item(ticket, values), values.get("decision") == "approve", user, note)
    elif action == "close_ledger_item":
        ledger.close_ledger_item(_item(ticket, values), note, user)
    else:
        error("unknown_action", f"未知的工单操作：{action}", 422)


def history(ticket) -> list[Event]:
    """The ticket's events, oldest first, each action by its Chinese name."""
    return [
        Event(at=e.at, action=workflow.event_label(e.action), actor=e.actor_ref or "系统", note=e.note or "")
        for e in TicketEvent.history(ticket)
    ]


def _item(ticket, values) -> LedgerItem:
    item = LedgerItem.get_or_none((LedgerItem.id == _int(values.get("item"))) & (LedgerItem.ticket == ticket))
    return item or error("unknown_ledger_item", "请选择本工单的台账事项", 422)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
