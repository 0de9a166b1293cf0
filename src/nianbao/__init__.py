"""nianbao: China's government information disclosure annual reports, parsed and checked."""

__version__ = "0.1.0"

from nianbao.pipeline import parse_document, parse_file

__all__ = ["__version__", "parse_document", "parse_file"]
