"""The same file gives the same JSON, byte for byte, whatever the interpreter's hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources

import pytest


@pytest.mark.parametrize("name", sorted(p.name for p in resources.files("nianbao").joinpath("samples").iterdir()))
def test_parse_output_does_not_depend_on_the_hash_seed(name):
    path = str(resources.files("nianbao").joinpath("samples", name))
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "nianbao", "parse", "--format", "json", path],
                              capture_output=True, env=env, check=False)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
