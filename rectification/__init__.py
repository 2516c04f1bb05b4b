"""The bad-review workflow ("谁办理、谁负责"): every 差评 becomes a ticket of the
handling department, verified, rectified, answered and followed up (回访).

tickets.py      transition() (any action by name), open_ticket, assign, set_contact,
                record_verification_call, resolve_on_the_spot, start_rectification,
                complete_rectification, explain, appeal, decide_appeal, close
workflow.py     the ticket state machine: ACTIONS, who may act, allowed_actions(), move()
deadlines.py    working days on the Chinese calendar; calendar_warnings()
ledger.py       台账: put_on_ledger, request_extension, decide_extension, close_ledger_item
followup.py     回访: send_reply, record_followup, answer_by_sms (the SMS bot's entry), followup_choice
reminders.py    scheduler jobs: remind_due, escalate_overdue, chase_followups, recount_deadlines
ticket_view.py  staff_view / citizen_view dicts, visible_tickets(user)
"""
