"""Use the mypyc-compiled build of the parse's hot modules, but only while it matches the sources.

``tools/build_native.py`` (``make native``) compiles a list of modules into ``build/native/<tag>/``,
outside src, and writes ``build/native/manifest.txt``: the interpreter and ABI it was built for, and the
sha256 of every source it was built from (the compiled modules and the nianbao modules they import).
``activate`` runs first thing in ``nianbao/__init__.py``: when the manifest fits this interpreter and
every digest still matches, it puts a finder at the head of ``sys.meta_path`` that loads those modules
from the build; otherwise it changes nothing and nianbao runs as pure Python. mypyc compiles the listed
modules as one group that call each other directly, so one edited source retires the whole group.
A source whose stat stamp (size, mtime, ctime, inode) is the recorded one is not read again: any write
changes ctime, and the build records no stamp for a file written in its last two seconds.

``NIANBAO_NATIVE=0`` forces pure Python; ``NIANBAO_NATIVE_DIR`` names another build folder.
``nianbao._native.status()`` says which one this process runs. See docs/native.md.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec
from pathlib import Path
from types import ModuleType

__all__ = ["activate", "build_dir", "status"]

MANIFEST = "manifest.txt"
FORMAT = "nianbao-native 1"

# What this process runs, for ``status()``: "pure Python: <why>" or "compiled: <n> modules from <dir>".
_status = "pure Python: not activated"


def build_dir(src_root: Path) -> Path:
    """``NIANBAO_NATIVE_DIR``, else build/native of the checkout whose src holds nianbao (absent when
    nianbao is installed from a wheel: then nothing is loaded)."""
    chosen = os.environ.get("NIANBAO_NATIVE_DIR")
    return Path(chosen) if chosen else src_root.parent / "build" / "native"


def activate(src_root: Path, folder: Path) -> bool:
    """Load the compiled build in ``folder`` from now on if it matches the sources under ``src_root``."""
    global _status
    _status = _activate(src_root, folder)
    return _status.startswith("compiled")


def status() -> str:
    """What this process runs: "compiled: <n> modules from <folder>" or "pure Python: <why>"."""
    return _status


def _activate(src_root: Path, folder: Path) -> str:
    if os.environ.get("NIANBAO_NATIVE", "") == "0":
        return "pure Python: NIANBAO_NATIVE=0"
    try:
        lines = (folder / MANIFEST).read_text(encoding="utf-8").splitlines()
    except OSError:
        return f"pure Python: no build in {folder}"
    fields = [line.split("\t") for line in lines]
    problem = _mismatch(fields, src_root)
    if problem:
        return f"pure Python: {problem}"
    binaries = _binaries(fields, folder)
    if any(name in sys.modules for name in binaries):
        return "pure Python: the modules were imported before the build could be activated"
    sys.meta_path.insert(0, _CompiledFinder(binaries))
    return f"compiled: {len(binaries) - 1} modules from {folder}"


def _mismatch(fields: list[list[str]], src_root: Path) -> str:
    """Why the build may not be used here, or "" when it may."""
    if not fields or fields[0] != [FORMAT]:
        return "the build's manifest has another format"
    if ["python", f"{sys.hexversion:x}", EXTENSION_SUFFIXES[0]] not in fields:
        return "the build was made for another Python version or ABI"
    sources = {field[1]: field[2] for field in fields if field[0] == "source" and len(field) == 3}
    if not sources:
        return "the build's manifest lists no sources"
    stamps = {field[1]: field[2] for field in fields if field[0] == "stamp" and len(field) == 3}
    changed = _changed_source(sources, stamps, src_root)
    return f"{changed} changed since the build (run make native)" if changed else ""


def _changed_source(sources: dict[str, str], stamps: dict[str, str], src_root: Path) -> str:
    """The first source whose bytes are not those the build was made from, or ""."""
    root = str(src_root)  # plain strings: ~50 Path objects would cost more than the stats (~0.2 ms)
    unsure = [relative for relative in sources if not _same_stamp(f"{root}/{relative}", stamps.get(relative))]
    if not unsure:
        return ""
    import hashlib  # only when a stamp differs: nianbao imports it later anyway

    for relative in unsure:
        try:
            data = (src_root / relative).read_bytes()
        except OSError:
            return relative
        if hashlib.sha256(data).hexdigest() != sources[relative]:
            return relative
    return ""


def _same_stamp(path: str, recorded: str | None) -> bool:
    """Size, mtime, ctime and inode as recorded: the bytes are unchanged (any write sets ctime, which no
    tool can set back) and need no hashing, which saves ~1 ms of reading at every start-up."""
    if recorded is None:
        return False
    try:
        info = os.stat(path)
    except OSError:
        return False
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}" == recorded


def _binaries(fields: list[list[str]], folder: Path) -> dict[str, str]:
    tag = next((field[1] for field in fields if field[0] == "dir"), "")
    base = f"{folder}/{tag}"
    return {field[1]: f"{base}/{field[2]}" for field in fields if field[0] == "binary" and len(field) == 3}


class _CompiledFinder:
    """Finds exactly the modules of one compiled build (and the shared library their shims import)."""

    def __init__(self, binaries: dict[str, str]) -> None:
        self.binaries = binaries

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        binary = self.binaries.get(fullname)
        if binary is None or not os.path.isfile(binary):  # a build removed under a running process
            return None
        spec = ModuleSpec(fullname, ExtensionFileLoader(fullname, binary), origin=binary)
        spec.has_location = True
        return spec

