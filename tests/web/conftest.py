from tests.wechat.fakes import fake_wx  # noqa: F401
from tests.wechat.fakes import settings_overrides  # noqa: F401
