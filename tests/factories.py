"""Small, explicit test data: two departments with a hall, windows, staff and
items, the label dictionary, and API keys."""

from models import Department
from models import Hall
from models import Item
from models import Label
from models import LabelSet
from models import Staff
from models import Window
from models import db
from models.access import ApiKey

LABELS = {
    5: [("501", "服务态度热情"), ("502", "办事效率高")],
    4: [("401", "服务态度好")],
    3: [("301", "等候时间稍长")],
    2: [("201", "服务态度差"), ("202", "办理时间长")],
    1: [("101", "服务态度恶劣")],
}


class Factory:
    def master_data(self) -> None:
        with db.atomic():
            self.bureau = Department.create(code="SPJ", name="区行政审批局", kind="district", is_bureau=True)
            self.police = Department.create(code="GAJ", name="区公安分局", kind="district")
            self.social = Department.create(code="RSJ", name="区人社局", kind="district")
            self.town = Department.create(code="GTJD", name="甘亭街道", kind="town")
            self.hall = Hall.create(code="SMZJ", name="鄠邑市民之家", department=self.bureau)
            self.police_window = Window.create(code="W04", name="户籍业务窗口", hall=self.hall, department=self.police)
            self.social_window = Window.create(code="W05", name="社保业务窗口", hall=self.hall, department=self.social)
            self.officer = Staff.create(code="S001", name="王敏", department=self.police, window=self.police_window)
            self.clerk = Staff.create(code="S002", name="李静", department=self.social, window=self.social_window)
            self.id_card = Item.create(
                code="610118-GAJ-001", name="居民身份证换领", category="公共服务", department=self.police
            )
            self.pension = Item.create(
                code="610118-RSJ-001", name="城乡居民养老保险待遇申领", category="行政给付", department=self.social
            )
            self.label_set = LabelSet.create(version="2026.1", active=True)
            for level, labels in LABELS.items():
                for position, (code, text) in enumerate(labels):
                    Label.create(label_set=self.label_set, level=level, code=code, text=text, position=position)
            _, self.police_key = ApiKey.issue(self.police, "police business system")
            _, self.social_key = ApiKey.issue(self.social, "social business system")

    @staticmethod
    def auth(key: str) -> dict:
        return {"Authorization": f"Bearer {key}"}

    def case_payload(self, case_no: str = "GA-2026-0001", **changes) -> dict:
        payload = {
            "case_no": case_no,
            "item_code": "610118-GAJ-001",
            "dept_code": "GAJ",
            "hall_code": "SMZJ",
            "window_code": "W04",
            "staff_code": "S001",
            "mode": "offline",
            "status": "completed",
            "accepted_at": "2026-11-26T09:00:00+08:00",
            "completed_at": "2026-11-26T09:40:00+08:00",
            "applicant": {"name": "张三", "phone": "13800138000", "type": "person"},
        }
        payload.update(changes)
        return payload
