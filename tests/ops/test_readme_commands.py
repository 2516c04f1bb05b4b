"""The README's commands work as pasted: every `flask` it names is one a reader can run from the
checkout (`bin/flask`) or on a server (`.venv/bin/flask`) — a bare `flask` is not on the PATH
outside the venv ("No module named 'limits'", a newcomer's first error)."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
# `flask` as a command word: not a path's last part, not part of a word (Flask, flask_limiter).
BARE = re.compile(r"(?<![\w/.-])flask (?=--app|[a-z][\w-]* )")


def test_every_flask_command_in_the_readme_runs_from_the_checkout_or_the_venv():
    bare = [
        f"README.md:{number}: {line.strip()}"
        for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1)
        if BARE.search(line)
    ]
    assert bare == [], "bare `flask` commands:\n" + "\n".join(bare)


def test_the_check_finds_a_bare_flask_command():
    assert BARE.search("也可用 `flask --app app report close --month YYYY-MM` 手动关闭")
    assert BARE.search("run flask seed-demo now")
    assert not BARE.search("`bin/flask report close`, `.venv/bin/flask --app app init-db`")
    assert not BARE.search("Flask, peewee and flask_limiter")
