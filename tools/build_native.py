"""Compile the parse's hot modules with mypyc into build/native (see docs/native.md).

    python tools/build_native.py            # what `make native` and `make setup` run

The compiled files never go into src: they go into ``build/native/<tag>/`` next to a manifest that
records the digest of every source they were built from (the compiled modules and every nianbao module
they import, since mypyc bakes in what it learns from them). ``nianbao/_native.py`` loads the build only
while every one of those digests still matches, so an edited source falls back to pure Python until the
next build. The build is cached: when the manifest already matches the sources, nothing is compiled.

Without a C compiler, or when mypyc fails, the script says so in one line and exits 0: nianbao then runs
as pure Python, which is always correct (the compiled build only makes it faster).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent

# Chosen by measurement (docs/native.md): where a report's parse spends its CPU, and what mypyc compiles
# without changing a byte of output. Left out on purpose:
# - models.py, check/across.py: their frozen dataclasses cross processes, and mypyc's cannot be unpickled;
# - check/registry.py: mypyc ignores functools.cached_property on a native class (Context would recompute
#   its views at every access: the parse took twice as long);
# - normalize.py: a string literal holds lone surrogates, which mypyc cannot write into C (and compiling it
#   gained nothing measurable besides);
# - batch.py, cli.py, guard.py, templates/cached.py: they pass functions to worker processes by name, or
#   tests monkeypatch them (compiled callers bind their callees early).
MODULES = (
    "nianbao.pipeline",
    "nianbao.layout.lines",
    "nianbao.layout.tokens",
    "nianbao.layout.sections",
    "nianbao.layout.reflow",
    "nianbao.extract.tables",
    "nianbao.extract.candidates",
    "nianbao.extract.labels",
    "nianbao.extract.solve",
    "nianbao.extract.detect",
    "nianbao.extract.meta",
    "nianbao.check.prose",
    "nianbao.check.text_view",
    "nianbao.check.labels",
    "nianbao.check.phrasings",
    "nianbao.check.rules_arithmetic",
    "nianbao.check.rules_content",
    "nianbao.check.rules_cumulative",
    "nianbao.check.rules_meta",
    "nianbao.check.rules_narrative",
    "nianbao.check.rules_structure",
    "nianbao.check.rules_text",
    "nianbao.check.rules_values",
)

MANIFEST = "manifest.txt"
FORMAT = "nianbao-native 1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="folder holding the package (default: src)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "native",
                        help="where the compiled files and the manifest go (default: build/native)")
    parser.add_argument("--module", action="append", dest="modules",
                        help="a module to compile (repeatable; default: the list in this script)")
    parser.add_argument("--force", action="store_true", help="build even when the manifest matches the sources")
    args = parser.parse_args()
    if os.environ.get("NIANBAO_NATIVE") == "0":
        print("native build skipped: NIANBAO_NATIVE=0; nianbao runs as pure Python")
        return 0
    if importlib.util.find_spec("mypyc") is None:
        print("native build skipped: mypyc is not installed (pip install mypy); nianbao runs as pure Python")
        return 0
    modules = tuple(args.modules or MODULES)
    return build(args.src.resolve(), modules, args.build_dir.resolve(), force=args.force)


def build(src: Path, modules: tuple[str, ...], build_dir: Path, *, force: bool = False) -> int:
    """Build (or confirm) the compiled copy of ``modules``; always 0 unless the arguments are wrong."""
    try:
        sources = dependency_closure(src, modules)
    except FileNotFoundError as missing:
        print(f"native build: no such module source {missing.filename}", file=sys.stderr)
        return 2
    states = {path: read_state(src / path)[1] for path in sources}
    key = build_key(modules, states)
    if not force and recorded_key(build_dir) == key:
        refresh_stamps(build_dir, states)
        print(f"native build up to date ({len(modules)} modules in {display(build_dir)})")
        return 0
    if c_compiler() is None:
        print("native build skipped: no C compiler found; nianbao runs as pure Python")
        return 0
    started = time.monotonic()
    work = build_dir.parent / (build_dir.name + "-work")
    with exclusive(work / "lock"):  # two builds at once would write one work folder
        snapshot, copied = take_snapshot(src, modules[0].split(".")[0], work)
        try:
            binaries = compile_snapshot(snapshot, modules, work)
        except BuildFailed as failure:
            print(f"native build failed ({failure}); nianbao runs as pure Python "
                  f"(details: {display(work / 'log.txt')})")
            return 0
        # The digests are those of the snapshot mypyc compiled, not of a tree that may have changed since.
        compiled = {path: copied[path] for path in dependency_closure(snapshot, modules)}
        install_build(build_dir, work, build_key(modules, compiled), compiled, binaries)
    print(f"native build: {len(modules)} modules compiled in {time.monotonic() - started:.0f} s "
          f"into {display(build_dir)}")
    return 0


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    import fcntl

    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class BuildFailed(Exception):
    """mypyc or the C compiler failed; the log holds their output."""


def dependency_closure(src: Path, modules: Iterable[str]) -> list[str]:
    """Source paths (relative to src) of ``modules`` and of every module of their package they import.

    mypyc compiles a module with what mypy infers from the modules it imports (types, Final constants
    it may inline), so an edit to any of these must retire the build, not just an edit to a compiled one.
    """
    package = next(iter(modules)).split(".")[0]
    seen: dict[str, str] = {}
    pending = list(modules)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        path = module_source(src, name)
        if path is None:
            if name in modules:
                raise FileNotFoundError(2, "missing", name)
            continue  # ``from package.module import function``: the name is not a module
        seen[name] = path.relative_to(src).as_posix()
        pending.extend(parents(name))
        pending.extend(imported_modules(path, name, package))
    return sorted(seen.values())


def module_source(src: Path, name: str) -> Path | None:
    base = src.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def imported_modules(path: Path, name: str, package: str) -> list[str]:
    """Every module of ``package`` that ``path`` imports, anywhere in the file (lazy imports too)."""
    found: list[str] = []
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve_from(node, name, is_package)
            found.append(base)
            found.extend(f"{base}.{alias.name}" for alias in node.names)  # may name a submodule
    return [module for module in found if module == package or module.startswith(package + ".")]


def resolve_from(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = name.split(".")
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, node.module] if node.module else anchor)


class State(NamedTuple):
    """A source as the build saw it: its sha256, and its stat stamp (see ``stamp``)."""

    digest: str
    stamp: str


def read_state(path: Path) -> tuple[bytes, State]:
    """A file's bytes and their state, the stamp only when the stat before and after reading agree."""
    before = stamp(path)
    data = path.read_bytes()
    return data, State(hashlib.sha256(data).hexdigest(), before if stamp(path) == before else "-")


def stamp(path: Path) -> str:
    """Size, mtime, ctime and inode: while all four are unchanged the bytes are too (any write sets ctime,
    which no tool can set back), so the loader may skip hashing the file. "-" for a file changed in the
    last two seconds: a write in the same clock tick could leave its times as they were."""
    info = path.stat()
    if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < 2_000_000_000:
        return "-"
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


def interpreter_line() -> str:
    """What a build is tied to: this interpreter's version and its extension modules' ABI tag."""
    return f"python\t{sys.hexversion:x}\t{importlib.machinery.EXTENSION_SUFFIXES[0]}"


def build_key(modules: tuple[str, ...], states: dict[str, State]) -> list[str]:
    """The manifest's header and source lines: a build is current when they are equal."""
    import mypy.version

    recipe = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    lines = [FORMAT, interpreter_line(), f"recipe\tmypy {mypy.version.__version__}\t{recipe}"]
    lines += [f"compiled\t{module}" for module in modules]
    lines += [f"source\t{path}\t{state.digest}" for path, state in sorted(states.items())]
    return lines


def recorded_key(build_dir: Path) -> list[str] | None:
    try:
        text = (build_dir / MANIFEST).read_text(encoding="utf-8")
    except OSError:
        return None
    return [line for line in text.splitlines() if line.split("\t")[0] not in ("dir", "binary", "stamp")]


def refresh_stamps(build_dir: Path, states: dict[str, State]) -> None:
    """After a checkout that rewrote sources with their old bytes, record their new stamps, so that the
    loader need not hash them at every start-up."""
    lines = (build_dir / MANIFEST).read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("stamp\t")]
    fresh = kept + stamp_lines(states)
    if fresh != lines:
        write_manifest(build_dir, fresh)


def stamp_lines(states: dict[str, State]) -> list[str]:
    return [f"stamp\t{path}\t{state.stamp}" for path, state in sorted(states.items()) if state.stamp != "-"]


def write_manifest(build_dir: Path, lines: list[str]) -> None:
    """Replace the manifest in one rename: a starting process reads the old one or the new one."""
    manifest = build_dir / MANIFEST
    fresh = manifest.with_suffix(".new")
    fresh.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fresh.replace(manifest)


def c_compiler() -> str | None:
    """The compiler setuptools will call: $CC, else the one Python was built with."""
    command = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    return shutil.which(command[0]) if command else None


def take_snapshot(src: Path, package: str, work: Path) -> tuple[Path, dict[str, State]]:
    """Copy the package's sources into ``work/src``, so that mypyc and the manifest's digests see one state
    of a tree that others may be editing meanwhile; the state of each file copied, by path under src."""
    snapshot = work / "src"
    return snapshot, sync_tree(src, snapshot, package)


def compile_snapshot(snapshot: Path, modules: tuple[str, ...], work: Path) -> dict[str, Path]:
    """Run mypyc over ``modules`` of the snapshot; each compiled module's binary, and the group's shared
    library (the shims import it by its name), by module name."""
    out = work / "lib"
    listed = work / "modules.txt"
    if not listed.is_file() or listed.read_text(encoding="utf-8").split() != list(modules):
        # Another list makes another group: start afresh. With the same list, setuptools relinks nothing
        # whose C is unchanged (mypyc rewrites only changed C files): an edit that changes no compiled
        # code costs the type check alone.
        shutil.rmtree(out, ignore_errors=True)
        listed.write_text("\n".join(modules) + "\n", encoding="utf-8")
    paths = [Path(module_source(snapshot, module) or "").relative_to(work).as_posix() for module in modules]
    setup = (
        "from setuptools import setup\n"
        "from mypyc.build import mypycify\n"
        f"extensions = mypycify(['--ignore-missing-imports', *{paths!r}], target_dir='c', opt_level='3')\n"
        "setup(name='nianbao-native', ext_modules=extensions, script_args=['build_ext', '--build-lib', 'lib',"
        " '--build-temp', 'obj', '--parallel', '2'])\n"
    )
    log = work / "log.txt"
    with log.open("w", encoding="utf-8") as output:
        done = subprocess.run([sys.executable, "-c", setup], cwd=work, stdout=output, stderr=subprocess.STDOUT,
                              env=build_environment(snapshot), check=False)
    if done.returncode != 0:
        raise BuildFailed(f"mypyc exited with {done.returncode}")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    binaries = {module: out.joinpath(*module.split(".")).with_name(module.split(".")[-1] + suffix)
                for module in modules}
    shared = list(out.glob(f"*__mypyc{suffix}"))
    binaries.update({path.name[: -len(suffix)]: path for path in shared})
    missing = [module for module, path in binaries.items() if not path.is_file()]
    if missing or len(shared) != 1:
        raise BuildFailed(f"no binary for {', '.join(missing) or 'the shared library'}")
    return binaries


def build_environment(snapshot: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment["MYPYPATH"] = str(snapshot)
    environment["SOURCE_DATE_EPOCH"] = "0"  # no time stamp in what the compiler writes
    environment.pop("NIANBAO_NATIVE", None)
    return environment


def sync_tree(src: Path, snapshot: Path, package: str) -> dict[str, State]:
    """Make ``snapshot/package`` hold exactly the .py files of ``src/package``; unchanged files are not
    rewritten, so mypy's cache and the C objects stay valid."""
    wanted = {path.relative_to(src).as_posix() for path in (src / package).rglob("*.py")}
    if (snapshot / package).exists():
        for path in (snapshot / package).rglob("*.py"):
            if path.relative_to(snapshot).as_posix() not in wanted:
                path.unlink()
    states = {}
    for relative in sorted(wanted):
        data, states[relative] = read_state(src / relative)
        copy = snapshot / relative
        if not copy.is_file() or copy.read_bytes() != data:
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(data)
    return states


def install_build(build_dir: Path, work: Path, key: list[str], states: dict[str, State],
                  binaries: dict[str, Path]) -> None:
    """Copy the binaries into a fresh ``build_dir/<tag>/`` and switch the manifest to it; an older build's
    folder is removed (a running process keeps the files it has loaded)."""
    tag = hashlib.sha256("\n".join(key).encode()).hexdigest()[:16]
    target = build_dir / tag
    shutil.rmtree(target, ignore_errors=True)
    lines = [*key, *stamp_lines(states), f"dir\t{tag}"]
    for name, path in sorted(binaries.items()):
        relative = path.relative_to(work / "lib")
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / relative)
        lines.append(f"binary\t{name}\t{relative.as_posix()}")
    write_manifest(build_dir, lines)
    for old in build_dir.iterdir():
        if old.is_dir() and old.name != tag:
            shutil.rmtree(old, ignore_errors=True)


def display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
