"""The rating core (one function every channel calls) and the bad-review rules.

core.py         submit_rating(): validate, store, open the ticket for a 差评
deadlines.py    working days on the Chinese calendar; calendar_warnings()
workflow.py     the ticket state machine: ACTIONS, who may act, allowed_actions(), move()
tickets.py      transition() (any action by name), open_ticket, assign, set_contact, record_callback,
                resolve_on_the_spot, start_rectification, complete_rectification, explain, appeal, decide_appeal, close
ledger.py       台账: put_on_ledger, request_extension, decide_extension, close_ledger_item
followup.py     send_reply, record_followup, answer_by_sms (the SMS area's entry), followup_choice
reminders.py    scheduler jobs: remind_due, escalate_overdue, chase_followups, recount_deadlines
ticket_view.py  staff_view / citizen_view dicts, visible_tickets(user)
"""
