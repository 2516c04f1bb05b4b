"""The demo's months, lived in time order through the product's own services.

Every event — a case completed, a rating, a step of a 差评 ticket, a reminder, a
unit's submission, a paper-form import, the close of a month — is queued at its
moment and run with the clock set to it, oldest first, so that what each service
sees is what it would have seen then: a month closed on the 30th freezes the
tickets as they stood that evening, and a paper form handed in after the close
appears as 补报 in the next month's report. Nothing happens after the moment the
demo is seeded (Beijing time): events that would fall later are simply not run.
"""

import datetime as dt
import heapq
import itertools
import logging
from collections import Counter

from cases.intake import upsert_case
from core import clock
from core.config import current_settings
from core.errors import ApiError
from figures import month_jobs
from figures import period
from figures import submissions
from models import Case
from models import Department
from models import Item
from models import Staff
from models import Ticket
from models import Window
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from ratings.paper import record_forms
from rectification import followup
from rectification import tickets
from rectification.deadlines import is_working_day

from . import data

log = logging.getLogger(__name__)

AREA = "610118"  # 鄠邑区
QUALITY = {
    "strong": {5: 76, 4: 17, 3: 5, 2: 1, 1: 1},
    "normal": {5: 64, 4: 21, 3: 9, 2: 4, 1: 2},
    "weak": {5: 44, 4: 24, 3: 15, 2: 11, 1: 6},
}
# Channels of case ratings and their share; on-site QR ratings come on top.
CASE_CHANNELS = {"sms": 30, "h5": 15, "wechat": 25, "pad": 25, "pc": 5}
RATED_SHARE = 0.8
ADDENDUM_SHARE = 0.03


class History:
    def __init__(self, rng, months: int, actors: dict):
        self.rng = rng
        self.until = clock.now()  # the seeding moment: nothing is dated after it
        self.start = period.first_day(period.shift(period.current_month(), -months))
        self.actors = actors  # "bureau", and each department id → its contact's user
        self.queue: list = []
        self.serial = itertools.count()
        self.counts = Counter()
        self.rect = current_settings().rectification
        self.departments = {d.id: d for d in Department.select()}
        paper = {d.id for d in self.departments.values() if d.code in data.PAPER_TOWNS}
        self.windows = [w for w in Window.select() if w.department_id not in paper]
        self.paper_windows = {}
        for w in Window.select().where(Window.department.in_(list(paper))).order_by(Window.code):
            self.paper_windows.setdefault(w.department_id, w)
        # District windows (the 市民之家 and the departments' halls) are busier than the towns'.
        self.weights = [3 if self.departments[w.department_id].kind == "district" else 1 for w in self.windows]
        self.items: dict = {}
        for item in Item.select():
            self.items.setdefault(item.department_id, []).append(item)
        self.staff: dict = {}
        for person in Staff.select():
            self.staff.setdefault(person.window_id, []).append(person)
        self.quality, self.problems = {}, {}
        for d in self.departments.values():
            weak = data.WEAK_UNITS.get(d.code)
            self.quality[d.id] = "weak" if weak else "strong" if d.code in data.STRONG_UNITS else "normal"
            self.problems[d.id] = list(weak or [rng.choice(sorted(data.PROBLEMS))])

    # --- the queue ---------------------------------------------------------------------------------

    def at(self, when: dt.datetime, action, *args) -> None:
        if when < self.until:
            heapq.heappush(self.queue, (when, next(self.serial), action, args))

    def run(self) -> Counter:
        day = self.start
        while day <= self.until.date():
            if is_working_day(day, self.rect):
                self.at(dt.datetime.combine(day, dt.time(8, 0)), self._day, day)
            day += dt.timedelta(days=1)
        month = period.month_of(self.start)
        while month <= period.current_month():
            self._plan_month(month)
            month = period.shift(month, 1)
        pinned = clock.frozen_at()
        try:
            while self.queue:
                today = self.queue[0][0].date()
                with db.atomic():  # one transaction per simulated day
                    while self.queue and self.queue[0][0].date() == today:
                        when, _, action, args = heapq.heappop(self.queue)
                        clock.freeze(when)
                        action(*args)
        finally:
            clock.freeze(pinned)
        return self.counts

    # --- cases and ratings -------------------------------------------------------------------------

    def _day(self, day: dt.date) -> None:
        for _ in range(self.rng.randint(45, 70)):
            window = self.rng.choices(self.windows, weights=self.weights)[0]
            accepted = dt.datetime.combine(day, dt.time(self.rng.randint(9, 16), self.rng.randint(0, 59)))
            completed = accepted + dt.timedelta(minutes=self.rng.randint(10, 90))
            self.at(completed, self._case, window, accepted, completed)
        for _ in range(self.rng.randint(2, 5)):
            window = self.rng.choice(self.windows)
            self.at(
                dt.datetime.combine(day, dt.time(self.rng.randint(9, 17), self.rng.randint(0, 59))), self._qr, window
            )

    def _case(self, window, accepted, completed) -> None:
        department = self.departments[window.department_id]
        item = self.rng.choice(self.items[department.id])
        staff = self.rng.choice(self.staff[window.id])
        case_no = f"{AREA}{completed:%Y%m%d}{department.code}{self.rng.randint(0, 999999):06d}"
        payload = {
            "case_no": case_no,
            "item_code": item.code,
            "dept_code": department.code,
            "hall_code": window.hall.code,
            "window_code": window.code,
            "staff_code": staff.code,
            "mode": "offline" if self.rng.random() < 0.8 else "online",
            "status": "completed",
            "accepted_at": accepted.isoformat() + "+08:00",
            "completed_at": completed.isoformat() + "+08:00",
            "applicant": {
                "name": self.rng.choice(data.SURNAMES) + self.rng.choice(data.GIVEN) + self.rng.choice(data.GIVEN),
                "phone": f"1{self.rng.choice('3578')}{self.rng.randint(0, 999999999):09d}",
                "type": "person" if self.rng.random() < 0.85 else "legal",
            },
        }
        try:
            upsert_case(payload, department)
        except ApiError:
            return  # a duplicate random case number: the case is simply not there
        self.counts["cases"] += 1
        if self.rng.random() < RATED_SHARE:
            minutes = self.rng.choice((self.rng.randint(1, 90), self.rng.randint(60, 60 * 24 * 3)))
            self.at(completed + dt.timedelta(minutes=minutes), self._rate, case_no, staff.name)

    def _level(self, department_id: int) -> int:
        weights = QUALITY[self.quality[department_id]]
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _words(self, department_id: int, level: int, staff_name: str) -> tuple[list, str | None]:
        """(labels, comment) of a rating, from the unit's recurring problems when it is poor."""
        rng = self.rng
        problem = data.PROBLEMS[rng.choice(self.problems[department_id])]
        if level >= 4:
            codes = [code for code, _ in data.LABELS[level]]
            labels = rng.sample(codes, rng.choice((0, 1, 1, 2)))
            comment = rng.choice(data.COMMENTS_GOOD) if rng.random() < 0.12 else None
        else:
            labels = list(problem["labels"].get(level, []))[: rng.choice((1, 1, 2))]
            if level == 3:
                comment = rng.choice(data.COMMENTS_BASIC + problem["comments"][:1]) if rng.random() < 0.4 else None
            else:
                comment = rng.choice(problem["comments"]) if rng.random() < 0.85 else None
        if comment:
            comment = comment.format(staff=staff_name, phone=f"139{rng.randint(0, 99999999):08d}")
        return labels, comment

    def _rate(self, case_no: str, staff_name: str) -> None:
        case = Case.by_case_no(case_no)
        if case is None:
            return
        level = self._level(case.department_id)
        labels, comment = self._words(case.department_id, level, staff_name)
        channel = self.rng.choices(list(CASE_CHANNELS), weights=list(CASE_CHANNELS.values()))[0]
        rater = {"pad": "device:demo-pad", "pc": "device:demo-pc"}.get(channel, f"{channel}:demo{case.id}")
        request = RatingRequest(
            level=level, channel=channel, case=case, rater_ref=rater, labels=labels, comment=comment
        )
        if not self._submit_rating(request):
            return
        if self.rng.random() < ADDENDUM_SHARE:
            later = clock.now() + dt.timedelta(days=self.rng.randint(1, 5))
            self.at(later, self._addendum, case_no, channel, rater, staff_name)

    def _addendum(self, case_no: str, channel: str, rater: str, staff_name: str) -> None:
        """The citizen's 追评 on the same case: counted apart, and a 差评 opens its own ticket."""
        case = Case.by_case_no(case_no)
        level = self.rng.choice((1, 2, 2, 3, 5))
        labels, comment = self._words(case.department_id, level, staff_name)
        request = RatingRequest(
            level=level, channel=channel, case=case, rater_ref=rater, labels=labels, comment=comment, addendum=True
        )
        self._submit_rating(request)

    def _qr(self, window) -> None:
        level = self._level(window.department_id)
        staff = self.rng.choice(self.staff[window.id])
        labels, comment = self._words(window.department_id, level, staff.name)
        rater = f"browser:demo{self.rng.randint(0, 10**9)}"
        request = RatingRequest(
            level=level, channel="qr", window=window, rater_ref=rater, labels=labels, comment=comment
        )
        self._submit_rating(request)

    def _submit_rating(self, request: RatingRequest) -> bool:
        try:
            result = submit_rating(request)
        except ApiError:
            return False
        self.counts["ratings"] += 1
        if result.ticket is not None:
            self._plan_ticket(result.ticket.id)
        return True

    # --- 差评 tickets, worked by the unit's contact and 回访 by the bureau --------------------------------

    def _plan_ticket(self, ticket_id: int) -> None:
        roll = self.rng.random()
        first = clock.now() + dt.timedelta(hours=self.rng.randint(1, 20))
        if roll < 0.05:
            self.at(first, self._step, ticket_id, "appeal")
        elif roll < 0.25:
            self.at(first, self._step, ticket_id, "resolve_on_the_spot")
        elif roll < 0.35:
            self.at(first, self._step, ticket_id, "verify", "explain")
        elif roll < 0.92:
            self.at(first, self._step, ticket_id, "verify", "rectify")
        else:
            self.at(first, self._step, ticket_id, "verify", None)  # then left to run over its deadline

    def _step(self, ticket_id: int, action: str, then: str | None = None) -> None:
        ticket = Ticket.get_by_id(ticket_id)
        unit = self.actors.get(ticket.department_id) or self.actors["bureau"]
        bureau = self.actors["bureau"]
        later = clock.now() + dt.timedelta(hours=self.rng.randint(2, 8))
        try:
            if action == "verify":
                tickets.record_verification_call(ticket, unit, "已电话联系群众，核实情况")
                if then == "explain":
                    self.at(later, self._step, ticket_id, "explain")
                elif then == "rectify":
                    self.at(later, self._step, ticket_id, "rectify")
            elif action == "appeal":
                ticket = tickets.record_verification_call(ticket, unit, "已电话联系群众核实")
                tickets.appeal(ticket, unit, "经调取监控，当日该窗口无此业务办理记录", "监控录像及叫号记录")
                self.at(clock.now() + dt.timedelta(days=1), self._step, ticket_id, "approve_appeal")
            elif action == "approve_appeal":
                tickets.decide_appeal(ticket, True, bureau, "证据充分，属误评，评价不予采纳")
            elif action == "resolve_on_the_spot":
                tickets.resolve_on_the_spot(ticket, unit, "当场向群众致歉并完成办理")
                self.at(later, self._step, ticket_id, "reply")
            elif action == "explain":
                tickets.explain(ticket, unit, "该事项须本人到场办理，系法定要求，已向群众解释说明")
                self.at(later, self._step, ticket_id, "reply")
            elif action == "rectify":
                tickets.start_rectification(ticket, unit, "情况属实")
                self.at(clock.now() + dt.timedelta(days=self.rng.randint(1, 6)), self._step, ticket_id, "complete")
            elif action == "complete":
                tickets.complete_rectification(ticket, unit, "已对窗口人员批评教育，优化取号引导")
                self.at(later, self._step, ticket_id, "reply")
            elif action == "reply":
                followup.send_reply(ticket, "您反映的问题已核实处理，感谢您的监督。", unit)
                self.at(clock.now() + dt.timedelta(days=1, hours=2), self._step, ticket_id, "followup")
            elif action == "followup":
                result = self.rng.choices(["satisfied", "basically_satisfied", "unsatisfied"], weights=(75, 18, 7))[0]
                ticket = followup.record_followup(ticket, result, channel="phone", actor=bureau, note="电话回访")
                if ticket.state == "followed_up":
                    self.at(later, self._step, ticket_id, "close")
            elif action == "close":
                tickets.close(ticket, bureau, "整改到位，销号")
        except ApiError as exc:
            log.debug("demo ticket %s: %s refused (%s)", ticket_id, action, exc.code)
            return
        self.counts["ticket steps"] += 1

    # --- the month: reminders, submissions, paper forms, the close ---------------------------------------

    def _plan_month(self, month: str) -> None:
        remind, close = period.remind_from(month), period.close_at(month)
        self.at(remind + dt.timedelta(hours=9), month_jobs.remind_submissions)
        self.at(close.replace(hour=9, minute=0), month_jobs.remind_submissions)
        for department in submissions.units():
            if department.code in data.PAPER_TOWNS:
                continue
            roll = self.rng.random()
            office = dt.time(self.rng.randint(9, 17), self.rng.randint(0, 59))  # in office hours
            if roll < 0.78:
                day = remind.date() + dt.timedelta(days=self.rng.randint(0, (close.date() - remind.date()).days))
                when = dt.datetime.combine(day, office)
            elif roll < 0.9:
                when = dt.datetime.combine(close.date() + dt.timedelta(days=self.rng.randint(1, 3)), office)
            else:
                continue  # this month, nothing from this unit
            self.at(when, self._submit, department.id, month)
        handed_in = dt.datetime.combine(
            period.first_day(month).replace(day=min(27, period.last_day(month).day)), dt.time(10)
        )
        late = month == period.shift(period.current_month(), -2)
        for department_id in sorted(self.paper_windows):
            when = handed_in
            if late and department_id == min(self.paper_windows):
                # One town hands in after the close: its forms are 补报 in the next month's report.
                when = close + dt.timedelta(days=5, hours=1)
            self.at(when, self._paper, department_id, month)
        self.at(close, month_jobs.close_month, month)

    def _submit(self, department_id: int, month: str) -> None:
        user = self.actors.get(department_id)
        if user is None:
            return
        note = self.rng.choice(
            ("本月数据已核对无误。", "已核对评价数据和差评工单，未评办件已提醒群众评价。", "数据已核对。")
        )
        try:
            submissions.submit(user, month, note)
        except ApiError:
            return
        self.counts["submissions"] += 1

    def _paper(self, department_id: int, month: str) -> None:
        window = self.paper_windows[department_id]
        days = []
        day = period.first_day(month)
        while day <= min(period.last_day(month), clock.today()):
            if is_working_day(day, self.rect):
                days.append(day)
            day += dt.timedelta(days=1)
        entries = []
        for day in days:
            for _ in range(self.rng.randint(1, 3)):
                level = self._level(department_id)
                labels, comment = self._words(department_id, level, "")
                entries.append(
                    {"window": window, "day": day, "level": level, "count": 1, "labels": labels, "comment": comment}
                )
        if entries:
            batch = f"demo-{month}-{department_id}"
            opened = Ticket.select(Ticket.id).where(Ticket.department == department_id)
            before = {t.id for t in opened}
            written = record_forms(entries, month, batch, f"user:{self.actors['bureau'].username}")
            self.counts["paper forms"] += written["ratings"]
            for ticket in opened.where(Ticket.id.not_in(before) if before else Ticket.id.is_null(False)):
                self._plan_ticket(ticket.id)
