"""Resource limits on what one input file may cost, checked before the expensive step.

Each limit has a safe default and an environment variable to change it (the CLI's global
options set the same variables, so worker processes see them too):

=========================  ==========================================  =========
variable                   limit                                       default
=========================  ==========================================  =========
NIANBAO_MAX_FILE_MB        size of one input file                      200 MB
NIANBAO_MAX_IMAGE_MPX      pixels of one image or rendered PDF page    80 Mpx
NIANBAO_MAX_PDF_PAGES      pages of one PDF                            500
NIANBAO_MAX_UNPACKED_MB    unpacked size of a DOCX/XLSX/ODT (zip)      256 MB
NIANBAO_MAX_DEPTH          element nesting depth of a web page         256
=========================  ==========================================  =========

Exceeding a limit raises UnusableInput with the limit's name and how to raise it. XML inside
a zip package may not declare a DTD or entities (OOXML and ODF never do; "billion laughs"
does), and its size is checked from the zip directory before anything is unpacked.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from nianbao.errors import UnusableInput

_MB = 1024 * 1024


@dataclass(frozen=True)
class Limit:
    env: str
    default: int
    unit: str  # how the value reads in a message
    option: str  # the CLI option that sets it


FILE_MB = Limit("NIANBAO_MAX_FILE_MB", 200, "MB", "--max-file-mb")
IMAGE_MPX = Limit("NIANBAO_MAX_IMAGE_MPX", 80, "百万像素", "--max-image-mpx")
PDF_PAGES = Limit("NIANBAO_MAX_PDF_PAGES", 500, "页", "--max-pdf-pages")
UNPACKED_MB = Limit("NIANBAO_MAX_UNPACKED_MB", 256, "MB", "--max-unpacked-mb")
DEPTH = Limit("NIANBAO_MAX_DEPTH", 256, "层", "--max-depth")
ALL_LIMITS = (FILE_MB, IMAGE_MPX, PDF_PAGES, UNPACKED_MB, DEPTH)


class LimitSettingError(ValueError):
    """An environment variable that sets a limit holds something other than a positive integer."""


def value(limit: Limit) -> int:
    """The limit in force: its environment variable when set, else the default."""
    raw = os.environ.get(limit.env, "").strip()
    if not raw:
        return limit.default
    try:
        number = int(raw)
    except ValueError:
        raise LimitSettingError(f"环境变量 {limit.env}=“{raw}”不是正整数") from None
    if number <= 0:
        raise LimitSettingError(f"环境变量 {limit.env}=“{raw}”不是正整数")
    return number


def exceeded(limit: Limit, what: str) -> str:
    """The reason for a refusal: what was too big, the limit, and how to change it."""
    return (f"{what}，超过上限 {value(limit)} {limit.unit}"
            f"（可用 {limit.option} 或环境变量 {limit.env} 调整）")


def check_file_size(path: str, size: int) -> None:
    if size > value(FILE_MB) * _MB:
        raise UnusableInput(path, exceeded(FILE_MB, f"文件大小 {size / _MB:.0f} MB"))


def check_pixels(path: str, width: int, height: int, what: str = "图片") -> None:
    if width * height > value(IMAGE_MPX) * 1_000_000:
        raise UnusableInput(path, exceeded(IMAGE_MPX, f"{what}为 {width}×{height} 像素"))


def check_pages(path: str, pages: int) -> None:
    if pages > value(PDF_PAGES):
        raise UnusableInput(path, exceeded(PDF_PAGES, f"PDF 共 {pages} 页"))


def check_depth(path: str, depth: int) -> None:
    if depth > value(DEPTH):
        raise UnusableInput(path, exceeded(DEPTH, f"网页元素嵌套 {depth} 层"))


# A DTD or entity declaration near the start of an XML part (the prolog is where they live).
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_PROLOG_BYTES = 64 * 1024
_CHUNK = 1 << 20


def check_package(path: str, data: bytes, kind: str = "Word") -> None:
    """A zip package (DOCX, XLSX, ODT) safe to hand to its library: a readable directory, an
    unpacked size within the limit, every member inflating to what the directory says (no
    damaged deflate data, no CRC error), and no DTD or entity declarations in its XML."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise UnusableInput(path, f"{kind} 文件已损坏或不完整（压缩包目录无法读取，可能被截断）") from None
    with archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        if unpacked > value(UNPACKED_MB) * _MB:
            raise UnusableInput(path, exceeded(UNPACKED_MB, f"{kind} 文件解压后为 {unpacked / _MB:.0f} MB"))
        for member in members:
            _check_member(path, archive, member, kind)


def _check_member(path: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo, kind: str) -> None:
    is_xml = member.filename.lower().endswith((".xml", ".rels", ".vml"))
    try:
        with archive.open(member) as stream:
            head = stream.read(_PROLOG_BYTES)
            while stream.read(_CHUNK):  # inflate everything once: damaged data fails here, not later
                pass
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError) as exc:
        problem = {zlib.error: "压缩数据损坏", zipfile.BadZipFile: "校验不符或数据损坏", EOFError: "数据不完整",
                   RuntimeError: "已加密", NotImplementedError: "压缩方式不支持"}.get(type(exc), type(exc).__name__)
        raise UnusableInput(path, f"{kind} 文件已损坏（{member.filename} 无法解压：{problem}）") from None
    if is_xml and _DECLARATION.search(head):
        raise UnusableInput(path, f"{kind} 文件的 {member.filename} 含 DTD 或实体定义，"
                                  "正常文件不会有，为安全起见不予读取")


def tree_depth(root: Any) -> int:
    """How deeply the elements of a parsed tree nest (iteratively: no recursion limit)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def check_tree(path: str, root: Any, error_log: Any) -> None:
    """A parsed web page that holds all its content: libxml2 stops at its own depth limit and
    drops the rest without failing (lxml recovers), so its log is read; then our own limit."""
    if any("ERR_RESOURCE_LIMIT" in str(entry) or "Excessive depth" in str(entry) for entry in error_log):
        raise UnusableInput(path, "网页元素嵌套过深，解析器无法读完全部内容（超过 2048 层）")
    check_depth(path, tree_depth(root))
