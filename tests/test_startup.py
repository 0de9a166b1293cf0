"""Start-up: `nianbao parse` imports what parsing needs, not the renderers, the store or rich."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.cli import SAMPLE_FORMATS_DEFAULT
from nianbao.sample.corpus import SAMPLE_FORMATS

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "nianbao" / "samples" / "2023-qingchuan-market-bureau.txt"

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


def test_template_cache_is_rebuilt_when_the_toml_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached template is served only for the very TOML it was validated from."""
    from nianbao.templates import TEMPLATE_IDS
    from nianbao.templates import cached as template_cache

    data = tmp_path / "data"
    shutil.copytree(template_cache._DATA, data)
    monkeypatch.setattr(template_cache, "_DATA", data)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    template_cache.cached_templates.cache_clear()
    first = template_cache.cached_templates()
    written = list((tmp_path / "cache" / "nianbao").glob("templates-*.pickle"))
    assert len(written) == 1 and set(first) == set(TEMPLATE_IDS)

    template_cache.cached_templates.cache_clear()
    assert template_cache.cached_templates() == first  # read back from the pickle, equal to the validated
    toml = data / "2021.toml"
    toml.write_text(toml.read_text("utf-8").replace('name = "', 'name = "改过的', 1), "utf-8")
    template_cache.cached_templates.cache_clear()
    changed = template_cache.cached_templates()
    assert changed["2021"].name.startswith("改过的") and changed["2019"] == first["2019"]
    rewritten = list((tmp_path / "cache" / "nianbao").glob("templates-*.pickle"))
    assert len(rewritten) == 1 and rewritten != written  # the stale pickle is replaced, not kept

    toml.write_text(toml.read_text("utf-8") + "\nunknown_key = 1\n", "utf-8")
    template_cache.cached_templates.cache_clear()
    with pytest.raises(ValueError, match="unknown_key"):  # still validated: an unknown key is refused
        template_cache.cached_templates()
    template_cache.cached_templates.cache_clear()


def test_template_cache_unwritable_or_corrupt_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao.templates import cached as template_cache
    from nianbao.templates import load_template

    expected = load_template("2021")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", "utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    template_cache.cached_templates.cache_clear()
    assert template_cache.cached_templates()["2021"] == expected
    assert blocked.read_text("utf-8").startswith("a file")

    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # not absolute: no cache, no folder made
    monkeypatch.chdir(tmp_path)
    template_cache.cached_templates.cache_clear()
    assert template_cache.cached_templates()["2021"] == expected and not (tmp_path / "relative").exists()

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    template_cache.cached_templates.cache_clear()
    template_cache.cached_templates()
    (pickled,) = (tmp_path / "cache" / "nianbao").glob("templates-*.pickle")
    pickled.write_bytes(pickled.read_bytes()[:100])  # truncated: read as a miss and written again
    template_cache.cached_templates.cache_clear()
    assert template_cache.cached_templates()["2021"] == expected
    assert pickled.stat().st_size > 100
    template_cache.cached_templates.cache_clear()


def test_a_command_runs_with_the_cache_folder_unwritable(tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("", "utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(blocked)}
    done = subprocess.run([sys.executable, "-m", "nianbao", "parse", "--format", "json", str(SAMPLE)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["meta"]["template"] in ("2021", "2019", "legacy")


def test_parse_does_not_import_pydantic() -> None:
    """Issue #12: pydantic (~0.1 s to import) stays off the parse path, for both outputs; the
    report records are dataclasses and typer's coercion of paths and choices is done without it."""
    probe = ("import runpy, sys\n"
             "sys.argv = ['nianbao', 'parse', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('nianbao', run_name='__main__')\n"
             "except SystemExit as done:\n    assert not done.code, done.code\n"
             "sys.stderr.write(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic')))\n")
    for args in (["--format", "json", str(SAMPLE)], [str(SAMPLE)]):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr == "", f"pydantic imported by `nianbao parse {' '.join(args)}`: {done.stderr[:200]}"
        assert done.stdout.strip()  # it did parse and print


def test_stored_documents_still_validate() -> None:
    """Reading a report back from JSON keeps pydantic's validation (nianbao.models_io), and a
    report goes there and back unchanged, its prose and facts too."""
    from pydantic import ValidationError

    from nianbao.models_io import report_from_json, report_json
    from nianbao.pipeline import parse_file

    report = parse_file(SAMPLE)
    blob = report_json(report)
    back = report_from_json(blob)
    assert back == report and back.contract() == report.contract()
    assert [s.text for s in back.sections] == [s.text for s in report.sections] and back.sections[0].text
    data = json.loads(blob)
    assert next(iter(data)) == "schema_version"  # the field order of the documents stored before
    data["meta"]["year"] = "二〇二三"
    with pytest.raises(ValidationError):
        report_from_json(json.dumps(data))
    data["meta"]["year"] = 2023
    data["source"]["colour"] = "red"
    with pytest.raises(ValidationError):
        report_from_json(json.dumps(data))


def test_the_batch_memo_travels_with_a_pickled_report() -> None:
    """The batch worker's memo is not a field (never dumped nor compared) but pickles with the report."""
    import pickle

    from nianbao.check.across import slim_report
    from nianbao.models_io import report_json
    from nianbao.pipeline import parse_file

    slim = slim_report(parse_file(SAMPLE), signature=True)
    assert slim.across_memo is not None
    back = pickle.loads(pickle.dumps(slim))
    assert back == slim and back.across_memo is not None
    assert pickle.dumps(back.across_memo) == pickle.dumps(slim.across_memo)  # the codes inside
    assert b"memo" not in report_json(slim)


# Not needed to parse one UTF-8 text file (issue #12): numpy (the batch rules), charset
# detection, and the readers of the other formats.
NOT_FOR_ONE_TEXT = ("numpy", "charset_normalizer", "nianbao.ingest.pdf", "nianbao.ingest.word", "nianbao.ingest.html",
                    "nianbao.ingest.sheet", "nianbao.ingest.salvage", "nianbao.ingest.ocr", "pdfplumber", "lxml")


def test_parsing_one_text_file_imports_no_batch_rules_or_other_readers() -> None:
    probe = ("import runpy, sys\n"
             "sys.argv = ['nianbao', 'parse', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('nianbao', run_name='__main__')\n"
             "except SystemExit as done:\n    assert not done.code, done.code\n"
             f"sys.stderr.write(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {NOT_FOR_ONE_TEXT!r}"
             f" or m in {NOT_FOR_ONE_TEXT!r})))\n")
    for args in (["--format", "json", str(SAMPLE)], [str(SAMPLE)]):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr == "", f"imported by `nianbao parse {' '.join(args)}`: {done.stderr[:300]}"
        assert done.stdout.strip()
