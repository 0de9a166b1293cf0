"""One file in, one answer out: a Report, or a Failure naming the file and the problem.

Nothing a file contains may end a batch: a reader's refusal (UnusableInput) becomes a
Failure with its reason, and any other exception — a bug, a library surprise, even
MemoryError or RecursionError — becomes an internal-error Failure for that file alone.
"""

from __future__ import annotations

import gc
import traceback
from dataclasses import dataclass
from pathlib import Path

from nianbao.errors import UnusableInput
from nianbao.models import Report
from nianbao.normalize import safe_name, safe_text
from nianbao.pipeline import parse_file


@dataclass(frozen=True)
class Failure:
    """A file that gave no report: its path, a one-line Chinese reason, whether it was our fault."""

    path: str
    reason: str
    internal: bool = False
    detail: str | None = None  # the traceback, kept only when asked for (--debug)


def internal_reason(exc: BaseException) -> str:
    """The one-line reason for an unexpected exception: its type and first line of message."""
    try:
        text = str(exc).strip()
    except Exception:  # an exception whose message itself fails
        text = ""
    message = safe_text(text.splitlines()[0])[:300] if text else ""
    name = type(exc).__name__
    return f"内部错误：{name}: {message}" if message else f"内部错误：{name}"


def internal_failure(path: Path | str, exc: BaseException, *, debug: bool = False) -> Failure:
    detail = "".join(traceback.format_exception(exc)) if debug else None
    return Failure(safe_name(str(path)), internal_reason(exc), internal=True, detail=detail)


def parse_guarded(path: Path, *, debug: bool = False) -> Report | Failure:
    """Parse one file; never raises for anything the file or the parser does."""
    try:
        return parse_file(path)
    except UnusableInput as exc:
        return Failure(safe_name(exc.path), safe_text(exc.reason).replace("\n", " "))
    except MemoryError as exc:
        gc.collect()  # the parse's garbage is unreachable now: give it back before going on
        return internal_failure(path, exc, debug=debug)
    except Exception as exc:  # RecursionError included: one file's bug is one file's failure
        return internal_failure(path, exc, debug=debug)
