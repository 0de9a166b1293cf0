"""What can still be read from a file cut short: a PDF without its end, a DOCX without its
zip directory. Each function gives bytes the normal reader can open, or None.

A reader tries these only after the normal path has refused the file, and the document
then carries a note (a finding) that it is incomplete.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

_CATALOG = re.compile(rb"(\d+)\s+0\s+obj\s*<<(?:(?!endobj).){0,400}?/Type\s*/Catalog", re.DOTALL)


def repaired_pdf(data: bytes) -> bytes | None:
    """A truncated PDF given back its end: a trailer naming the document catalog, so that PDFium
    rebuilds the cross-reference table from the objects still there. None when the file is not
    truncated (it still ends in %%EOF) or its catalog is gone (or packed in an object stream)."""
    if b"%%EOF" in data[-2048:]:
        return None
    catalogs = list(_CATALOG.finditer(data))
    if not catalogs:
        return None
    found = catalogs[-1]  # the last one: an incremental update writes its catalog after the first
    return (data + b"\nendstream\nendobj\ntrailer\n<< /Root " + found.group(1)
            + b" 0 R >>\nstartxref\n0\n%%EOF\n")


_LOCAL_HEADER = b"PK\x03\x04"
_DOCUMENT = b"word/document.xml"
_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  b'<Default Extension="xml" ContentType="application/xml"/>'
                  b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                  b'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         b'officeDocument" Target="word/document.xml"/></Relationships>')
_CHUNK = 1 << 16


def salvaged_docx(data: bytes, max_bytes: int) -> bytes | None:
    """A DOCX cut short (its zip directory, at the end, is gone) rebuilt around what is left of
    ``word/document.xml``: found by its local header, inflated as far as the data goes (at most
    ``max_bytes``), its XML closed by lxml's recovering parser (no entities, no network)."""
    from lxml import etree

    xml = _member(data, _DOCUMENT, max_bytes)
    if not xml or b"<!DOCTYPE" in xml[:65536] or b"<!ENTITY" in xml[:65536]:
        return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.LxmlError:
        return None
    if root is None:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _RELS)
        package.writestr("word/document.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return buffer.getvalue()


def _member(data: bytes, wanted: bytes, max_bytes: int) -> bytes | None:
    """The (possibly partial) content of one zip member, read from its local header."""
    position = data.find(_LOCAL_HEADER)
    while position >= 0 and position + 30 <= len(data):
        flags, method = struct.unpack("<HH", data[position + 6: position + 10])
        size, name_length, extra_length = struct.unpack("<I4xHH", data[position + 18: position + 30])
        start = position + 30 + name_length + extra_length
        if data[position + 30: position + 30 + name_length] == wanted:
            body = data[start: start + size] if size and not flags & 0x08 else data[start:]
            if method == 0:
                return body[:max_bytes]
            if method != 8:
                return None
            return _inflate(body, max_bytes)
        position = data.find(_LOCAL_HEADER, start)
    return None


def _inflate(body: bytes, max_bytes: int) -> bytes:
    """Raw deflate data inflated chunk by chunk, keeping what came before any damage."""
    inflater = zlib.decompressobj(-15)
    out: list[bytes] = []
    total = 0
    for offset in range(0, len(body), _CHUNK):
        try:
            piece = inflater.decompress(body[offset: offset + _CHUNK], max_bytes - total)
        except zlib.error:
            break
        out.append(piece)
        total += len(piece)
        if total >= max_bytes or inflater.eof:
            break
    return b"".join(out)
