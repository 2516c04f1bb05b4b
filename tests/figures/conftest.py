"""The admin's fixtures (staff users per role, logged-in sessions, ratings through the core)."""

from tests.admin.conftest import login  # noqa: F401
from tests.admin.conftest import ratings  # noqa: F401
from tests.admin.conftest import staff  # noqa: F401
