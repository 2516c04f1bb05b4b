"""The action forms of the ticket page, and where they go.

The one seam between the admin and the rectification workflow (`rectification.tickets`,
`rectification.ledger`, `rectification.followup`): the admin never changes a ticket itself.
It offers what `workflow.allowed_actions(ticket, user)` lists, in workflow
order, as forms — less the ones that cannot apply now (a 台账 step with no
item to act on, 整改完成 while items are open) — and hands a submitted form
to the service function of that action, which checks the role, the state and
the input, records the history and audits.
"""

from dataclasses import dataclass
from dataclasses import field

from core.errors import error
from core.numbers import to_int
from models import LedgerItem
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
    required: bool = True


@dataclass
class ActionForm:
    action: str
    title: str
    hint: str = ""
    fields: list = field(default_factory=list)
    # (value of "decision", text, css class); one plain submit button when empty.
    choices: list = field(default_factory=list)


# What each step does, in a line, so that staff pick the right one.
HINTS = {
    "verify": "已电话联系群众、了解差评情况后记录，工单进入核实。",
    "resolve_on_the_spot": "问题已当场解决的，记录解决情况，随后答复群众。",
    "rectify": "核实属实：开始整改，须在整改期限内完成。",
    "put_on_ledger": "情况复杂、一时难以解决的，列入台账逐项整改；"
    "完成时限晚于整改期限的，自动提交延期申请，由区行政审批局审批。",
    "request_extension": "台账事项需要更长时间的，申请延期，由区行政审批局审批。",
    "decide_extension": "审批部门提出的台账延期申请：同意后整改期限顺延。",
    "close_ledger_item": "逐项销号：该台账事项已完成。",
    "complete": "整改已完成，记录整改情况，随后答复群众。",
    "explain": "诉求缺乏法定依据的，做好解释说明；说明即为答复群众的内容。",
    "appeal": "核实为误评或恶意差评的，提交申诉理由和证据，由区行政审批局审核。",
    "approve_appeal": "申诉成立：该评价不计入统计，工单办结。",
    "reject_appeal": "申诉不成立：工单退回申诉前的状态继续办理，期限不变。",
    "reply": "将处理结果答复群众（短信或小程序通知），之后进行整改回访。",
    "followup": "整改答复后回访群众，记录对整改结果的满意度；不满意的工单重新办理并升级督办。",
    "close": "回访完成后销号，工单办结。",
    "assign": "改派给本部门其他在岗工作人员。",
}


def _note(label: str, required: bool = True) -> Field:
    return Field("note", label, required=required)


def _items(ticket, which: str = "open") -> list:
    """The ticket's open 台账 items as options: all, those that may ask for more time, or those waiting."""
    items = list(LedgerItem.open_for(ticket).order_by(LedgerItem.id))
    if which == "extendable":
        items = [item for item in items if item.extension_state != "requested"]
    elif which == "requested":
        items = [item for item in items if item.extension_state == "requested"]
    return [(str(item.id), _item_text(item, which == "requested")) for item in items]


def _item_text(item, with_request: bool) -> str:
    text = f"{item.plan[:30]}（{item.responsible}，时限 {item.due_on:%Y-%m-%d}）"
    if with_request:
        text += f" 申请延期至 {item.extension_due_on:%Y-%m-%d}：{(item.extension_reason or '')[:40]}"
    return text


def _fields(ticket, action: str, settings) -> list[Field]:
    """What each action asks of the user; the service decides whether it may run."""
    if action == "assign":
        users = User.select().where(
            (User.department == ticket.department_id)
            & User.active
            & User.role.in_(DEPARTMENT_ROLES)
            & (User.id != (ticket.assignee_id or 0))
        )
        return [Field("assignee", "承办人", "select", [(str(u.id), u.display_name or u.username) for u in users])]
    if action == "appeal":
        return [_note("申诉理由（误评、恶意差评）"), Field("evidence", "证据（通话录音、监控截图、材料等的说明）")]
    if action == "followup":
        scale = list(settings.rectification.followup_scale) + ["unreachable"]
        return [
            Field("satisfaction", "回访结果", "select", [(code, FOLLOWUP_RESULTS[code]) for code in scale]),
            Field("channel", "回访方式", "select", [(c, FOLLOWUP_CHANNELS[c]) for c in ("phone", "none")]),
            _note("回访记录", required=False),
        ]
    if action == "put_on_ledger":
        return [_note("整改计划"), Field("responsible", "责任人", "text"), Field("due", "完成时限", "date")]
    if action == "request_extension":
        return [
            Field("item", "台账事项", "select", _items(ticket, "extendable")),
            Field("due", "申请延期至", "date"),
            _note("延期理由"),
        ]
    if action == "decide_extension":
        return [Field("item", "延期申请", "select", _items(ticket, "requested")), _note("审批意见")]
    if action == "close_ledger_item":
        return [Field("item", "台账事项", "select", _items(ticket)), _note("整改结果")]
    if action == "reply":
        default = ticket.state == "explained"
        label = "答复内容（将发送给群众；留空则以解释说明答复）" if default else "答复内容（将发送给群众）"
        return [_note(label, required=not default)]
    if action == "close":
        return [_note("销号说明", required=False)]
    return [_note(workflow.ACTIONS[action].note_required or "说明")]


def _choices(action: str) -> list:
    if action == "decide_extension":
        return [("approve", "同意延期", ""), ("reject", "不同意延期", "danger")]
    return []


def available(ticket, user, settings) -> list[ActionForm]:
    """The forms `user` may submit on `ticket` now, in workflow order."""
    if user.role == "auditor":
        return []
    ledger_open = LedgerItem.open_for(ticket).exists()
    forms = []
    for entry in workflow.allowed_actions(ticket, user):
        action = entry["action"]
        if action == "complete" and ledger_open:
            continue  # offered once every 台账 item is closed
        fields = _fields(ticket, action, settings)
        if any(f.kind == "select" and not f.options for f in fields):
            continue  # nothing to act on (no item, no other member of the department)
        forms.append(ActionForm(action, entry["label"], HINTS.get(action, ""), fields, _choices(action)))
    return forms


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
        decision = values.get("decision")
        if decision not in ("approve", "reject"):
            error("invalid_decision", "请选择同意或不同意延期", 422)
        ledger.decide_extension(_item(ticket, values), decision == "approve", user, note)
    elif action == "close_ledger_item":
        ledger.close_ledger_item(_item(ticket, values), note, user)
    else:
        error("unknown_action", f"未知的工单操作：{action}", 422)


def _item(ticket, values) -> LedgerItem:
    item = LedgerItem.get_or_none((LedgerItem.id == _int(values.get("item"))) & (LedgerItem.ticket == ticket))
    return item or error("unknown_ledger_item", "请选择本工单的台账事项", 422)


def _int(value) -> int:
    return to_int(value) or 0
