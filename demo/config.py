"""The demo's own configuration, written by bin/serve on every start with that run's ports.

`PORT` and `SIM_PORT` flow into it, so every link, QR code and banner names the port the demo
really listens on: the public base of every link (`[app] base_url`), the push of every rating to
the local city simulator (`[upstream]`), and the in-process fake WeChat (WeChat is the real API
unless a config says otherwise). The upstream secret of an earlier file is kept: ratings already
pushed to the simulator stay signed alike.

    python -m demo.config PORT SIM_PORT [PATH]      # PATH: instance/demo.toml
"""

import os
import secrets
import sys
import tomllib

DEFAULT_PATH = "instance/demo.toml"


def demo_config(port: int, sim_port: int, secret: str) -> str:
    return f"""# Written by bin/serve for the local demo on every start (PORT, SIM_PORT); delete it to start afresh.
[app]
base_url = "http://127.0.0.1:{port}"

[upstream]
enabled = true
url = "http://127.0.0.1:{sim_port}/push"
query_url = "http://127.0.0.1:{sim_port}/query"
app_id = "huyi-demo"
app_secret = "{secret}"
data_source = "133"

[wechat]
provider = "fake"               # demo only: anyone can log in with any code
"""


def write(path: str, port: int, sim_port: int) -> None:
    old: dict = {}
    if os.path.exists(path):
        with open(path, "rb") as fh:
            old = tomllib.load(fh)
    secret = old.get("upstream", {}).get("app_secret") or secrets.token_hex(16)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(demo_config(port, sim_port, secret))


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise SystemExit(f"not a TCP port: {text!r}")
    return int(text)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        raise SystemExit("usage: python -m demo.config PORT SIM_PORT [PATH]")
    write(argv[2] if len(argv) == 3 else DEFAULT_PATH, _port(argv[0]), _port(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
