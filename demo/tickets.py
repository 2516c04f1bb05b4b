"""The demo's bad-review tickets, worked through the real workflow.

Older tickets went the whole way (verified, rectified or explained, answered,
followed up, closed; a few appealed), recent ones are still open and a few are
overdue, so that the queue, the ticket pages and the rectification figures
all have something true to show.
"""

import datetime as dt
import random

from core import clock
from core.errors import ApiError
from models import Outbox
from models import Ticket
from models import User
from rectification import followup
from rectification import tickets

SETTLED_AFTER_DAYS = 12


def work_demo_tickets(seed: int = 2026) -> int:
    """Work the demo tickets as the bureau's demo user; returns how many moved."""
    actor = User.by_username("bureau")
    if actor is None:
        return 0
    rng = random.Random(seed)
    cutoff = clock.now() - dt.timedelta(days=SETTLED_AFTER_DAYS)
    moved = 0
    try:
        for ticket in list(Ticket.select().where(Ticket.state == "new").order_by(Ticket.id)):
            at = ticket.created_at + dt.timedelta(hours=rng.randint(1, 20))
            if ticket.created_at < cutoff:
                moved += _settle(ticket, actor, rng, at)
            elif rng.random() < 0.6:
                clock.freeze(at)
                tickets.record_verification_call(ticket, actor, "已电话联系群众，核实情况")
                moved += 1
    finally:
        clock.freeze(None)
    _mark_history_sent(cutoff)
    return moved


def _settle(ticket: Ticket, actor, rng, at) -> int:
    try:
        clock.freeze(at)
        roll = rng.random()
        if roll < 0.05:
            ticket = tickets.record_verification_call(ticket, actor, "已电话联系群众核实")
            ticket = tickets.appeal(ticket, actor, "经调取监控，当日该窗口无此业务办理记录", "监控录像及叫号记录")
            clock.freeze(at + dt.timedelta(days=1))
            tickets.decide_appeal(ticket, True, actor, "证据充分，属误评，评价不予采纳")
            return 1
        if roll < 0.25:
            ticket = tickets.resolve_on_the_spot(ticket, actor, "当场向群众致歉并完成办理")
        elif roll < 0.35:
            ticket = tickets.record_verification_call(ticket, actor, "已电话联系群众核实")
            ticket = tickets.explain(ticket, actor, "该事项须本人到场办理，系法定要求，已向群众解释说明")
        else:
            ticket = tickets.record_verification_call(ticket, actor, "已电话联系群众核实")
            ticket = tickets.start_rectification(ticket, actor, "情况属实")
            clock.freeze(at + dt.timedelta(days=rng.randint(1, 6)))
            ticket = tickets.complete_rectification(ticket, actor, "已对窗口人员批评教育，优化取号引导")
        ticket = followup.send_reply(ticket, "您反映的问题已核实处理，感谢您的监督。", actor)
        clock.freeze(clock.now() + dt.timedelta(days=1, hours=2))
        result = rng.choices(["satisfied", "basically_satisfied", "unsatisfied"], weights=(75, 18, 7))[0]
        ticket = followup.record_followup(ticket, result, channel="phone", actor=actor, note="电话回访")
        if ticket.state == "followed_up":
            tickets.close(ticket, actor, "整改到位，销号")
        return 1
    except ApiError:
        return 0


def _mark_history_sent(cutoff) -> None:
    """What the demo's past would have sent went out long ago."""
    (
        Outbox.update(state="sent", sent_at=Outbox.available_at)
        .where((Outbox.state == "pending") & (Outbox.kind != "upstream.rating") & (Outbox.available_at < cutoff))
        .execute()
    )
