"""Read a report file: sniff its format from the bytes, decode text in any Chinese encoding."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from nianbao.errors import UnusableInput
from nianbao.ingest import limits
from nianbao.ingest.blocks import SourceLine
from nianbao.models import SourceFormat, SourceInfo
from nianbao.normalize import has_cjk, safe_name, to_simplified

# Start-up: the readers of other formats (web page, PDF, Word, sheets, salvage) and charset
# detection (charset_normalizer, ~12 ms) are imported by the branch that needs them, so that
# reading one UTF-8 text file imports none of them.

# The encodings Chinese government text files come in, most likely first.
_CHINESE_ENCODINGS = ("utf_8", "gb18030", "big5", "utf_16")
_MAGIC: tuple[tuple[bytes, SourceFormat], ...] = (
    (b"%PDF", "pdf"),
    (b"PK\x03\x04", "docx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "doc"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
)


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
# Never kept in the text: C0 controls but tab, newline, CR, VT and form feed (a page break in
# pdftotext output), DEL and the C1 controls (ESC sequences could retitle or clear a terminal).
_STRIP = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_REPLACEMENT = "\ufffd"
_MAX_LINE_NOTES = 20  # damaged lines named one by one; beyond that one note sums them up


@dataclass(frozen=True)
class Document:
    source: SourceInfo
    text: str  # decoded, simplified script, original line structure
    places: tuple[str | None, ...] = ()  # per line of ``text``: where it is in the source (page, table row)
    notes: tuple[tuple[int, str], ...] = ()  # (line number, doubt) from the format reader
    grid: frozenset[int] = frozenset()  # line numbers that are table rows of a source grid (HTML, Word, PDF, sheet)


def sniff_format(data: bytes) -> SourceFormat:
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            if fmt == "doc":
                from nianbao.ingest.sheet import is_ole_workbook

                if is_ole_workbook(data):
                    return "xls"  # .xls and WPS .et share the OLE2 container with .doc and .wps
            return _zip_kind(data) if fmt == "docx" else fmt
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<table" in head or b"<body" in head:
        return "html"
    return "txt"


def _zip_kind(data: bytes) -> SourceFormat:
    """DOCX, or an OpenDocument text (read like .doc, through LibreOffice)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names or (
                    "mimetype" in names and archive.read("mimetype").startswith(
                        b"application/vnd.oasis.opendocument.spreadsheet")):
                return "xlsx"
            if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument.text"):
                return "doc"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError):
        if b"word/" in data[:65536]:  # a Word file cut short or damaged: say so, not "unknown zip"
            return "docx"
    return "zip"


def decode_text(data: bytes, path: str) -> tuple[str, str]:
    """The text and the name of its encoding; binary junk raises UnusableInput.

    A text with a few bytes that do not decode (a damaged copy, a cut in the middle of a
    character) is still read: those bytes become U+FFFD, which ``_document`` turns into notes
    naming the lines, so a reviewer sees what is damaged instead of losing the whole report."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if b"\x00" in data[:4096]:
        raise UnusableInput(path, "不是文本文件（含二进制数据）")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    damaged = _mostly_decodes(data, "utf-8-sig")
    if damaged is not None:
        return damaged, "utf-8"
    if _only_gb18030(data):
        return data.decode("gb18030"), "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(_CHINESE_ENCODINGS)).best()
    if best is not None and best.encoding:
        text = str(best)
        if has_cjk(text):
            return text, best.encoding
    for encoding in ("gb18030", "big5"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    for encoding in ("gb18030", "big5"):
        damaged = _mostly_decodes(data, encoding)
        if damaged is not None:
            return damaged, encoding
    raise UnusableInput(path, "无法识别文本编码（既不是 UTF-8，也不是 GBK/GB18030 或 Big5）")


_GB18030_BOM = b"\x84\x31\x95\x33"


def _only_gb18030(data: bytes) -> bool:
    """Whether charset detection can only end in GB18030 for bytes that are not UTF-8: they
    decode as GB18030 (no GB18030 BOM, which the detector strips) and not as Big5, and the
    detector tries UTF-16 only after a BOM (handled before). Its answer is then GB18030 or none,
    and ``decode_text`` falls back to GB18030 on none: the same text and name, without the
    detector's ~0.4 ms per file (a fifth of a batch of reports is GBK)."""
    if data.startswith(_GB18030_BOM) or not _decodes(data, "gb18030"):
        return False
    return not _decodes(data, "big5")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


_CHINESE_CHARACTER = re.compile("[\u4e00-\u9fff]")


def _mostly_decodes(data: bytes, encoding: str) -> str | None:
    """The text when all but a few bytes decode in ``encoding`` (damage, not another encoding:
    GBK read as UTF-8 fails on nearly every Chinese character, a damaged UTF-8 file on a few)."""
    text = data.decode(encoding, errors="replace")
    bad = text.count(_REPLACEMENT)
    if bad > 8 and 51 * bad > len(text):
        return None  # cannot pass below: that needs chinese ≥ 50 × bad, and chinese ≤ len(text) − bad
    chinese = len(_CHINESE_CHARACTER.findall(text))
    if chinese >= 20 and bad <= max(8, chinese // 50):
        return text
    return None


def read_text(text: str, path: str = "<text>", encoding: str | None = None) -> Document:
    """A document from text already in memory (tests, other readers)."""
    data = text.encode("utf-8")
    return _document(path, data, "txt", text, encoding or "utf-8")


def read_document(path: Path) -> Document:
    """Read a file; raises UnusableInput with a reason a person can act on."""
    name = str(path)
    try:
        found = os.stat(path)
        if stat.S_ISREG(found.st_mode):  # not for pipes and devices: their size says nothing
            limits.check_file_size(name, found.st_size)
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnusableInput(name, "文件不存在") from None
    except IsADirectoryError:
        raise UnusableInput(name, "这是一个目录，不是文件") from None
    except OSError as exc:
        raise UnusableInput(name, f"无法读取文件（{exc.strerror or type(exc).__name__}）") from None
    limits.check_file_size(name, len(data))
    if not data.strip():
        raise UnusableInput(name, "文件为空")
    fmt = sniff_format(data)
    if fmt == "txt":
        text, encoding = decode_text(data, name)
        return _document(name, data, fmt, text, encoding)
    if fmt == "html":
        return _html_document(name, data)
    if fmt == "pdf":
        return _pdf_document(path, name, data)
    if fmt == "docx":
        return _lines_document(name, data, fmt, _read_word(name, data))
    if fmt == "doc":
        from nianbao.ingest.word import convert_to_docx

        if data.startswith(b"PK"):  # an OpenDocument text: a zip package like DOCX
            limits.check_package(name, data, "ODT")
        return _lines_document(name, data, fmt, _read_word(name, convert_to_docx(path)))
    if fmt == "image":
        return _lines_document(name, data, fmt, read_image(name, data), "1 张图片（OCR）")
    if fmt in ("xlsx", "xls"):
        from nianbao.ingest.sheet import read_sheets

        if fmt == "xlsx":
            limits.check_package(name, data, "Excel")
        return _lines_document(name, data, fmt, read_sheets(name, data))
    raise UnusableInput(name, "是压缩包或未知的二进制格式，不是报告文件")


def _pdf_document(path: Path, name: str, data: bytes) -> Document:
    """A PDF; one cut short (no cross-reference table or trailer left) is read as far as it goes."""
    from nianbao.ingest.pdf import read_pdf
    from nianbao.ingest.salvage import repaired_pdf

    try:
        lines, pages = read_pdf(path, data)
        return _lines_document(name, data, "pdf", lines, f"{pages} 页")
    except UnusableInput as refused:
        repaired = repaired_pdf(data)
        if repaired is None:
            raise
        try:
            lines, pages = read_pdf(path, repaired)
            document = _lines_document(name, data, "pdf", lines, f"{pages} 页（文件不完整）")
        except UnusableInput:
            raise refused from None
    note = (1, "PDF 文件不完整（结尾缺失，可能下载或复制时被截断），只读取了尚存的部分，缺失的页和表格请对照原件")
    return Document(source=document.source, text=document.text, places=document.places,
                    notes=(note, *document.notes), grid=document.grid)


def _read_word(name: str, data: bytes) -> list[SourceLine]:
    """DOCX bytes checked as a package first (size, deflate data, no entities), then read. A
    package cut short (no zip directory left) is read from what remains of its document."""
    from nianbao.ingest.salvage import salvaged_docx

    try:
        limits.check_package(name, data, "Word")
    except UnusableInput:
        if zipfile.is_zipfile(io.BytesIO(data)):
            raise  # a whole package that is damaged or too big: the refusal stands
        salvaged = salvaged_docx(data, limits.value(limits.UNPACKED_MB) << 20)
        if salvaged is None:
            raise
        try:
            lines = _parse_docx(name, salvaged)
        except UnusableInput:
            lines = []
        if not any(line.text.strip() for line in lines):
            raise
        note = "Word 文件不完整（可能下载或复制时被截断），只读取了尚存的部分，缺失的内容请对照原件"
        return [replace(lines[0], notes=(note, *lines[0].notes)), *lines[1:]]
    return _parse_docx(name, data)


def _parse_docx(name: str, data: bytes) -> list[SourceLine]:
    """XML that lxml rejects (malformed, nested too deep) is a damaged file, not a crash."""
    from lxml import etree

    from nianbao.ingest.word import read_docx

    try:
        return read_docx(name, data)
    except etree.XMLSyntaxError as exc:
        problem = "元素嵌套过深" if "depth" in str(exc).lower() else f"XML 格式错误，第 {exc.lineno} 行"
        raise UnusableInput(name, f"Word 文件已损坏（{problem}）") from None
    except (etree.LxmlError, zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, AttributeError,
            IndexError, TypeError, NotImplementedError) as exc:  # python-docx on a package it does not expect
        raise UnusableInput(name, f"不是有效的 Word（.docx）文件（{type(exc).__name__}）") from None
    except RecursionError:
        raise UnusableInput(name, "Word 文件已损坏（元素嵌套过深）") from None


def read_image(name: str, data: bytes) -> list[SourceLine]:
    """A photographed or scanned page (PNG, JPEG): OCR rows as lines."""
    import warnings

    from PIL import Image

    from nianbao.ingest.ocr import ocr_rows

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides
            image = Image.open(io.BytesIO(data))
            limits.check_pixels(name, image.width, image.height)
            image.load()
    except UnusableInput:
        raise
    except Image.DecompressionBombError:
        raise UnusableInput(name, limits.exceeded(limits.IMAGE_MPX, "图片像素过多")) from None
    except MemoryError:
        raise UnusableInput(name, "图片过大，内存不足以打开") from None
    except Exception as exc:  # Pillow raises many kinds (OSError, SyntaxError, struct.error …) on a damaged image
        raise UnusableInput(name, f"图片无法打开（已损坏：{type(exc).__name__}）") from None
    rows = ocr_rows(image, name)
    return [SourceLine("\t".join(row.cells) if row.numeric else row.cells[0], "图片（OCR）", tuple(row.notes))
            for row in rows]


def _html_document(name: str, data: bytes) -> Document:
    from nianbao.ingest.html import page_charset, read_html

    charset = page_charset(data)
    text: str | None = None
    encoding = charset
    if charset:
        try:
            text = data.decode(_CHARSET_ALIASES.get(charset, charset))
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text, encoding = decode_text(data, name)
    try:
        lines, properties = read_html(name, text)
    except RecursionError:
        raise UnusableInput(name, limits.exceeded(limits.DEPTH, "网页元素嵌套过深")) from None
    document = _lines_document(name, data, "html", lines)
    document.source.encoding = encoding
    document.source.properties = properties
    return document


_FORMAT_NAMES = {"xlsx": "Excel 工作簿", "xls": "Excel 工作簿",
                 "pdf": "PDF 文件", "docx": "Word 文件", "doc": "Word 文件", "html": "网页", "image": "图片"}

# Pages declare gb2312 but use GBK/GB18030 characters: decode with the superset.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}


def _lines_document(name: str, data: bytes, fmt: SourceFormat, lines: list[SourceLine],
                    extent: str | None = None) -> Document:
    if not any(line.text.strip() for line in lines):
        raise UnusableInput(name, f"{_FORMAT_NAMES.get(fmt, fmt)}中没有可读取的文字")
    text = "\n".join(line.text.replace("\n", " ") for line in lines)
    document = _document(name, data, fmt, text, None)
    document.source.extent = extent
    notes = tuple((number, note) for number, line in enumerate(lines, start=1) for note in line.notes)
    notes = tuple(sorted((*notes, *document.notes)))
    return Document(source=document.source, text=document.text, places=tuple(line.place for line in lines),
                    notes=notes, grid=frozenset(n for n, line in enumerate(lines, start=1) if line.grid))


def _document(path: str, data: bytes, fmt: SourceFormat, text: str, encoding: str | None) -> Document:
    stripped = _STRIP.search(text) is not None  # one scan for the clean text: _CONTROL's characters are _STRIP's too
    control = len(_CONTROL.findall(text)) if stripped else 0
    if control > max(8, len(text) // 100):
        raise UnusableInput(path, "不是文本文件（含大量控制字符）")
    notes = _damage_notes(text, encoding, stripped)
    if stripped:
        text = _STRIP.sub("", text)
    source = SourceInfo(path=safe_name(path), sha256=hashlib.sha256(data).hexdigest(), format=fmt,
                        encoding=encoding)
    return Document(source=source, text=to_simplified(text), notes=notes)


def _damage_notes(text: str, encoding: str | None, stripped: bool) -> tuple[tuple[int, str], ...]:
    """One note per line with undecodable bytes (shown as U+FFFD) or control characters
    (``stripped``: the text holds some)."""
    if _REPLACEMENT not in text and not stripped:
        return ()
    damaged: list[tuple[int, str]] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        bad, control = line.count(_REPLACEMENT), len(_STRIP.findall(line))
        if bad:
            how = f"按 {encoding} " if encoding else ""
            damaged.append((number, f"第{number}行有 {bad} 处字节无法{how}解码，已替换为“\ufffd”，请对照原件核实"))
        elif control:
            damaged.append((number, f"第{number}行含 {control} 个控制字符，已删除"))
    if len(damaged) > _MAX_LINE_NOTES:
        rest = len(damaged) - _MAX_LINE_NOTES
        summary = (damaged[_MAX_LINE_NOTES][0], f"另有 {rest} 行有无法解码的字节或控制字符")
        damaged = [*damaged[:_MAX_LINE_NOTES], summary]
    return tuple(damaged)
