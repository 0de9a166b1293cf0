"""nianbao: China's government information disclosure annual reports, parsed and checked."""

__version__ = "0.1.0"

from pathlib import Path

from nianbao import _native

# Before any module of the compiled build is imported: load them from build/native while it matches.
_SRC = Path(__file__).resolve().parent.parent
_native.activate(_SRC, _native.build_dir(_SRC))

from nianbao.pipeline import parse_document, parse_file  # noqa: E402

__all__ = ["__version__", "parse_document", "parse_file"]
