"""Start-up: `nianbao parse` imports what parsing needs, not the renderers, the store or rich."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nianbao.cli import SAMPLE_FORMATS_DEFAULT
from nianbao.sample.corpus import SAMPLE_FORMATS

LAZY = ("rich.console", "jinja2", "sqlalchemy", "openpyxl", "nianbao.render", "nianbao.review.html",
        "nianbao.review.xlsx", "nianbao.sample.corpus", "nianbao.store.db")


def test_the_command_module_leaves_heavy_modules_to_the_commands() -> None:
    probe = ("import sys, nianbao.cli; "
             f"print(','.join(m for m in {LAZY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            timeout=120).stdout.strip()
    assert loaded == ""


def test_sample_default_formats_are_the_generators() -> None:
    assert ",".join(SAMPLE_FORMATS) == SAMPLE_FORMATS_DEFAULT


def test_typer_builds_only_the_command_named() -> None:
    """Start-up: `nianbao [global options] parse …` builds the parse command alone; anything
    else (no command, --help, an unknown name) builds them all, so help and suggestions list every one."""
    from nianbao.cli import _invoked_command

    assert _invoked_command(["parse", "a.txt"]) == "parse"
    assert _invoked_command(["--debug", "--max-file-mb", "5", "check", "--format", "json"]) == "check"
    assert _invoked_command(["--help"]) is None and _invoked_command([]) is None
    assert _invoked_command(["--version", "parse"]) is None
    every = subprocess.run([sys.executable, "-m", "nianbao", "--help"], capture_output=True, text=True,
                           check=True, timeout=120).stdout
    assert "parse" in every and "ingest" in every and "serve" in every
    typo = subprocess.run([sys.executable, "-m", "nianbao", "pars"], capture_output=True, text=True, timeout=120)
    assert typo.returncode == 2 and "parse" in typo.stderr
    one = subprocess.run([sys.executable, "-m", "nianbao", "--max-file-mb", "5", "parse", "--help"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert "nianbao parse" in one and "--stream" in one


def test_every_command_is_back_after_a_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building only the named command lasts one call: the app keeps all its commands after it."""
    from nianbao.cli import app

    before = list(app.registered_commands)
    monkeypatch.setattr(sys, "argv", ["nianbao", "rules", "--format", "json"])
    with pytest.raises(SystemExit) as done:
        app()
    assert done.value.code == 0
    assert app.registered_commands == before and len(before) > 5
