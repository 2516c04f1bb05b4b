"""A web worker imports what a request needs, not what one rare page or the scheduler does:
the spreadsheet, imaging, WeChat and Aliyun SDKs, APScheduler and the word segmenter load
at their first use (bench/README.md, "Web worker memory"). A module-level import of one of
them anywhere a worker loads puts ~20 MB back into every worker; this test finds it."""

import subprocess
import sys
from pathlib import Path

HEAVY = ("openpyxl", "PIL", "wechatpy", "aliyunsdkcore", "apscheduler", "jieba", "requests")
ROOT = Path(__file__).resolve().parents[2]


def test_a_new_worker_does_not_import_the_heavy_libraries(tmp_path):
    script = (
        "import sys\n"
        "from app import create_app\n"
        f"create_app({{'app': {{'secret_key': 'x'}}, 'database': {{'url': 'sqlite:///{tmp_path}/w.db'}}}})\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HCP_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"
