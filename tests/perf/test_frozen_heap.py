"""A process that builds its app (a web worker, the scheduler, a lane worker) freezes the
start-up heap once (`gc.freeze`, app.py): the garbage collector's full walks then cover only
what the work creates. Run in a fresh interpreter: a frozen app in the suite's process would
never be freed."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path, freeze: bool) -> list[int]:
    overrides = {"app": {"secret_key": "x", "freeze_heap": freeze}, "database": {"url": f"sqlite:///{tmp_path}/f.db"}}
    script = (
        "import gc\n"
        "from app import create_app\n"
        f"create_app({overrides!r})\n"
        "first = gc.get_freeze_count()\n"
        "garbage = [[i] for i in range(10000)]\n"  # made after start-up: collectable, not frozen
        f"create_app({overrides!r})\n"  # a second app in the same process freezes nothing more
        "print(first, gc.get_freeze_count())\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HCP_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return [int(n) for n in out.stdout.split()]


def test_the_start_up_heap_is_frozen_once_per_process(tmp_path):
    first, after_second_app = _run(tmp_path, freeze=True)
    assert first > 10000  # modules, the app: tens of thousands of objects
    # Not frozen again: that would take the second app and the 10,000 lists made after start-up.
    assert after_second_app < first + 1000


def test_freeze_heap_off_freezes_nothing(tmp_path):
    assert _run(tmp_path, freeze=False) == [0, 0]
