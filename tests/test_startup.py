"""Start-up: `nianbao parse` imports what parsing needs, not the renderers, the store or rich."""

from __future__ import annotations

import subprocess
import sys

from nianbao.cli import SAMPLE_FORMATS_DEFAULT
from nianbao.sample.corpus import SAMPLE_FORMATS

LAZY = ("rich.console", "jinja2", "sqlalchemy", "openpyxl", "nianbao.render", "nianbao.review.html",
        "nianbao.review.xlsx", "nianbao.sample.corpus", "nianbao.store.db")


def test_the_command_module_leaves_heavy_modules_to_the_commands():
    probe = ("import sys, nianbao.cli; "
             f"print(','.join(m for m in {LAZY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            timeout=120).stdout.strip()
    assert loaded == ""


def test_sample_default_formats_are_the_generators():
    assert ",".join(SAMPLE_FORMATS) == SAMPLE_FORMATS_DEFAULT
