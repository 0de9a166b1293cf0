"""The validated templates, cached between runs so that a start-up need not validate the TOML.

Validating the three template files with Pydantic on each start cost ~8 ms and building the
Pydantic models ~20 ms more; unpickling the validated templates costs ~1 ms. The cache is keyed
by a digest of everything the result depends on (the TOML files, the module that defines the
specs, nianbao's version, the Python version), so a changed file is never served stale: it has
another key. A cache folder that cannot be read or written is not an error: the templates are
then validated from the TOML on each run, as before.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import tomllib
from functools import cache
from pathlib import Path

from nianbao.templates import TEMPLATE_IDS, Template, TemplateId

_DATA = Path(__file__).with_name("data")
_SPECS = Path(__file__).with_name("__init__.py")
_PREFIX = "templates-"


def cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/nianbao``, else ``~/.cache/nianbao``; None without an absolute home
    (never a folder named "~" in the working directory)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nianbao" if os.path.isabs(base) else None


@cache
def cached_templates() -> dict[TemplateId, Template]:
    """Every template, from the cache when it holds this very TOML, else validated (and cached)."""
    sources = {template_id: (_DATA / f"{template_id}.toml").read_bytes() for template_id in TEMPLATE_IDS}
    folder = cache_dir()
    if folder is None:
        return validate_templates(sources)
    path = folder / f"{_PREFIX}{_digest(sources)}.pickle"
    cached = _read(path)
    if cached is not None:
        return cached
    templates = validate_templates(sources)
    _write(path, templates)
    return templates


def validate_templates(sources: dict[TemplateId, bytes]) -> dict[TemplateId, Template]:
    """The templates validated from their TOML by Pydantic (types, literals, no unknown keys)."""
    from pydantic import TypeAdapter

    adapter = TypeAdapter(Template)
    templates = {template_id: adapter.validate_python(tomllib.loads(text.decode("utf-8")))
                 for template_id, text in sources.items()}
    for template in templates.values():
        template.required_keys  # noqa: B018 - computed once, then pickled with the template
    return templates


def _digest(sources: dict[TemplateId, bytes]) -> str:
    from nianbao import __version__

    digest = hashlib.sha256()
    for part in (__version__.encode(), sys.version.encode(), _SPECS.read_bytes(), *sources.values()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:32]


def _read(path: Path) -> dict[TemplateId, Template] | None:
    try:
        with path.open("rb") as file:
            loaded = pickle.load(file)  # our own file, named by the digest of its inputs
    except Exception:  # missing, unreadable, truncated or from an incompatible build: validate again
        return None
    if not isinstance(loaded, dict) or set(loaded) != set(TEMPLATE_IDS):
        return None
    if not all(isinstance(template, Template) for template in loaded.values()):
        return None
    return loaded


def _write(path: Path, templates: dict[TemplateId, Template]) -> None:
    """Written to a temporary file and renamed: a reader sees the whole file or none."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(templates, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        for old in path.parent.glob(f"{_PREFIX}*.pickle"):  # earlier versions' caches
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        return  # a read-only or full disk: the templates were validated, the next run does it again
