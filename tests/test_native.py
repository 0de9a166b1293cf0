"""The compiled build (tools/build_native.py, nianbao/_native.py) is used only while it matches its sources.

A tiny throwaway package is compiled here (nianbao itself takes minutes); the last test compares the
real build's JSON with pure Python's when such a build is present and active.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nianbao import _native

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "tools" / "build_native.py"
SAMPLES = sorted((ROOT / "src" / "nianbao" / "samples").glob("*.txt"))

TINY = {
    "tiny/__init__.py": "",
    "tiny/shapes.py": "def area(width: int, height: int) -> int:\n    return width * height\n",
    "tiny/report.py": "from tiny.shapes import area\n\n\ndef line(width: int) -> str:\n"
                      "    return f'area {area(width, 2)}'\n",
    "tiny/plain.py": "VALUE = 1\n",  # imported by nobody compiled: not one of the build's sources
}
WHERE = ("import sys; from pathlib import Path; from nianbao import _native; "
         "_native.activate(Path(sys.argv[1]), Path(sys.argv[2])); "
         "import tiny.report, tiny.shapes; "
         "print(tiny.report.__file__, tiny.shapes.__file__, tiny.report.line(3), _native.status(), sep='|')")


def write_tree(src: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (src / relative).parent.mkdir(parents=True, exist_ok=True)
        (src / relative).write_text(text, encoding="utf-8")


def run_build(src: Path, build: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(BUILD), "--src", str(src), "--build-dir", str(build),
               "--module", "tiny.shapes", "--module", "tiny.report"]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **environment}, check=True)


def loaded(src: Path, build: Path, **environment: str) -> list[str]:
    """Where tiny's two modules came from, what they compute and the loader's status, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT / "src")]), **environment}
    env.pop("NIANBAO_NATIVE_DIR", None)
    done = subprocess.run([sys.executable, "-c", WHERE, str(src), str(build)], capture_output=True, text=True,
                          env=env, check=True)
    return done.stdout.strip().split("|")


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("native")
    src, build = root / "src", root / "build"
    write_tree(src, TINY)
    time.sleep(2.1)  # files written in the last 2 s get no stat stamp (a write in the same tick could hide)
    done = run_build(src, build)
    if not (build / _native.MANIFEST).is_file():
        pytest.skip(f"no compiled build here: {done.stdout.strip()}")
    return src, build


def test_a_matching_build_is_loaded(tiny_build: tuple[Path, Path]) -> None:
    report, shapes, line, status = loaded(*tiny_build)
    assert report.endswith(".so") and shapes.endswith(".so")
    assert line == "area 6"
    assert status.startswith("compiled: 2 modules")


def test_one_edited_source_retires_the_whole_group(tiny_build: tuple[Path, Path]) -> None:
    src, build = tiny_build
    shapes = src / "tiny" / "shapes.py"
    original, times = shapes.read_text(encoding="utf-8"), shapes.stat()
    shapes.write_text(original.replace("width * height", "height * width"), encoding="utf-8")
    os.utime(shapes, ns=(times.st_atime_ns, times.st_mtime_ns))  # same size and mtime: only ctime tells
    try:
        report, compiled_shapes, line, status = loaded(src, build)
    finally:
        shapes.write_text(original, encoding="utf-8")
    assert report.endswith("report.py") and compiled_shapes.endswith("shapes.py")  # report.py is unchanged
    assert line == "area 6"
    assert status == "pure Python: tiny/shapes.py changed since the build (run make native)"


def test_a_source_rewritten_with_the_same_bytes_keeps_the_build(tiny_build: tuple[Path, Path]) -> None:
    src, build = tiny_build
    shapes = src / "tiny" / "shapes.py"
    shapes.write_text(shapes.read_text(encoding="utf-8"), encoding="utf-8")  # as a checkout does: a new stamp
    assert loaded(src, build)[3].startswith("compiled: 2 modules")


def test_a_matching_stamp_skips_hashing(tiny_build: tuple[Path, Path], tmp_path: Path) -> None:
    src, build = tiny_build
    manifest = (build / _native.MANIFEST).read_text(encoding="utf-8").splitlines()
    assert "stamp\ttiny/report.py\t" in "\n".join(manifest)
    wrong = [line.rsplit("\t", 1)[0] + "\t" + "0" * 64 if line.startswith("source\ttiny/report.py\t") else line
             for line in manifest]
    other = copy_build(build, tmp_path, wrong)
    assert loaded(src, other)[3].startswith("compiled: 2 modules")  # the stamp vouched; no hash was taken
    stale = [line for line in wrong if not line.startswith("stamp\ttiny/report.py\t")]
    assert loaded(src, copy_build(build, tmp_path / "stale", stale))[3] == (
        "pure Python: tiny/report.py changed since the build (run make native)")


def copy_build(build: Path, folder: Path, manifest: list[str]) -> Path:
    """A build folder sharing ``build``'s binaries, with another manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _native.MANIFEST).write_text("\n".join(manifest) + "\n", encoding="utf-8")
    for entry in build.iterdir():
        if entry.is_dir():
            (folder / entry.name).symlink_to(entry)
    return folder


def test_a_module_outside_the_build_does_not_retire_it(tiny_build: tuple[Path, Path]) -> None:
    src, build = tiny_build
    plain = src / "tiny" / "plain.py"
    plain.write_text("VALUE = 2\n", encoding="utf-8")
    try:
        assert loaded(src, build)[3].startswith("compiled")
    finally:
        plain.write_text(TINY["tiny/plain.py"], encoding="utf-8")


def test_native_0_forces_pure_python(tiny_build: tuple[Path, Path]) -> None:
    report, shapes, line, status = loaded(*tiny_build, NIANBAO_NATIVE="0")
    assert report.endswith("report.py") and shapes.endswith("shapes.py")
    assert (line, status) == ("area 6", "pure Python: NIANBAO_NATIVE=0")


def test_a_build_for_another_python_is_not_loaded(tiny_build: tuple[Path, Path], tmp_path: Path) -> None:
    src, build = tiny_build
    manifest = (build / _native.MANIFEST).read_text(encoding="utf-8")
    this_python = f"python\t{sys.hexversion:x}\t"
    assert this_python in manifest
    other = copy_build(build, tmp_path, manifest.replace(this_python, "python\t30c00f0\t").splitlines())
    assert loaded(src, other)[3] == "pure Python: the build was made for another Python version or ABI"


def test_without_a_build_nothing_is_loaded(tiny_build: tuple[Path, Path], tmp_path: Path) -> None:
    src, _ = tiny_build
    assert loaded(src, tmp_path)[3] == f"pure Python: no build in {tmp_path}"


def test_the_build_is_cached(tiny_build: tuple[Path, Path]) -> None:
    src, build = tiny_build
    binaries = sorted(build.rglob("*.so"))
    stamps = [path.stat().st_mtime_ns for path in binaries]
    done = run_build(src, build)
    assert done.stdout.startswith("native build up to date (2 modules")
    assert sorted(build.rglob("*.so")) == binaries
    assert [path.stat().st_mtime_ns for path in binaries] == stamps


def test_without_a_compiler_the_build_says_so_and_succeeds(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_tree(src, TINY)
    done = run_build(src, tmp_path / "build", CC=str(tmp_path / "no-such-cc"))
    assert done.stdout == "native build skipped: no C compiler found; nianbao runs as pure Python\n"
    assert not (tmp_path / "build" / _native.MANIFEST).exists()


def test_a_failed_build_says_so_and_succeeds(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_tree(src, {**TINY, "tiny/shapes.py": "def area(width: int, height: int) -> int:\n    return 'x'\n"})
    done = run_build(src, tmp_path / "build")
    assert done.stdout.startswith("native build failed (mypyc exited with ")
    assert "nianbao runs as pure Python" in done.stdout
    assert not (tmp_path / "build" / _native.MANIFEST).exists()


def output(command: str, **environment: str) -> str:
    env = {**os.environ, **environment}
    done = subprocess.run([sys.executable, "-m", "nianbao", command, "--format", "json", *map(str, SAMPLES)],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode in (0, 1), done.stderr  # check exits 1 when it finds errors
    return done.stdout


@pytest.mark.skipif(not _native.status().startswith("compiled"), reason="no compiled build of nianbao is active")
@pytest.mark.parametrize("command", ["parse", "check"])
def test_the_compiled_build_prints_what_pure_python_prints(command: str) -> None:
    compiled = output(command)
    assert compiled == output(command, NIANBAO_NATIVE="0")
    assert len(compiled.splitlines()) == len(SAMPLES)
    assert all(json.loads(line)["source"]["path"] for line in compiled.splitlines())
