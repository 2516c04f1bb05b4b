from .fakes import fake_wx  # noqa: F401
from .fakes import settings_overrides  # noqa: F401
