"""Ingest: bytes on disk → a decoded document, whatever the encoding or script."""

from nianbao.ingest.reader import Document, read_document, read_text

__all__ = ["Document", "read_document", "read_text"]
