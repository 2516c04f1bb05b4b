"""TD/退订: the phone gets no further invitation; what it already received stays answerable."""

from core import clock
from models import Case
from models import Invitation
from models import OptOut


def opt_out(phone: str) -> tuple[str, str | None]:
    OptOut.insert(phone=phone, source="sms", created_at=clock.now()).on_conflict_ignore().execute()
    cases = Case.of_phone(phone).select(Case.id)
    Invitation.update(state="cancelled", error_code="opted_out", error_message="该号码已回复退订").where(
        (Invitation.state == "scheduled") & Invitation.case.in_(cases)
    ).execute()
    # Invitations already received stay answerable: opting out stops new SMS, not ratings.
    return "opted_out", None
