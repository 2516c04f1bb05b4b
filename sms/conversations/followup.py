"""The 回访 conversation: the citizen's SMS answer to the question the
rectification workflow sends after a bad review was answered.

The question is an `sms.message` with purpose `followup`, asked with the rating
SMS's numbers and words (5 best) and that scale stored on the prompt; its
answer goes to `rectification.followup.answer_by_sms` on the prompt's scale. An answer off the scale gets one
clarification per question, never a loop; staff phone the citizen when no
answer comes (the rectification reminders chase that).
"""

from core.config import current_settings
from core.errors import ApiError
from models.sms import SmsMessage
from rectification.followup import LEGACY_SCALE
from rectification.followup import answer_by_sms
from rectification.followup import followup_question

from ..batch import Incoming

THANKS = "感谢您对整改结果的评价。"
REOPENED = "感谢您的反馈。您对整改结果不满意，我们已重新督办，办理部门将再次与您联系。"


def followup_reply(incoming: Incoming, prompt: SmsMessage) -> tuple[str, str | None]:
    # The answer means what the question asked: a question sent before the scale ran 5-best
    # carries no scale and keeps its old numbering.
    scale = prompt.data.get("scale", LEGACY_SCALE)
    try:
        ticket = answer_by_sms(incoming.phone, incoming.text, scale)
    except ApiError as exc:
        # Staff changed the ticket at the same moment; the answer is kept in the inbox for them.
        return "refused", exc.code
    if ticket is None:
        rect = current_settings().rectification
        incoming.say(f"followup-clarify:{prompt.id}", "抱歉，未能识别您的回复。" + followup_question(rect, scale))
        return "unclear", prompt.ref
    SmsMessage.close_prompts(incoming.phone, purposes=("followup",), ref=prompt.ref)
    unsatisfied = ticket.followup_result == "unsatisfied"
    incoming.say(f"followup-thanks:{prompt.id}", REOPENED if unsatisfied else THANKS)
    return ("followup_unsatisfied" if unsatisfied else "followup"), f"ticket {ticket.ticket_no}"
