"""Word files → lines: DOCX read with python-docx in document order; DOC, WPS and ODT first
converted to DOCX by LibreOffice (headless) when it is installed.

A table row becomes one line of tab-separated cells. A cell merged across columns
(``gridSpan``) is written once; a cell merged down (``vMerge`` continue) is not repeated in
the rows below, as in a browser copy of the same table.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from nianbao.errors import UnusableInput
from nianbao.ingest.blocks import SourceLine, cell_text, row_line

CONVERT_TIMEOUT_S = 120


def read_docx(name: str, data: bytes) -> list[SourceLine]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.oxml.ns import qn

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise UnusableInput(name, f"不是有效的 Word（.docx）文件（{type(exc).__name__}）") from None
    lines: list[SourceLine] = []
    tables = 0
    paragraphs = 0
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraphs += 1
            text = _paragraph_text(child, qn)
            if text.strip():
                lines.append(SourceLine(text.strip(), f"第{paragraphs}段"))
        elif child.tag == qn("w:tbl"):
            tables += 1
            for index, row in enumerate(child.iterchildren(qn("w:tr")), start=1):
                cells = [cell_text(_cell_text(tc, qn)) for tc in row.iterchildren(qn("w:tc"))
                         if not _continues_merge(tc, qn)]
                line = row_line(cells, f"表格{tables} 第{index}行")
                if line.text:
                    lines.append(line)
    return lines


def _paragraph_text(paragraph: Any, qn: Any) -> str:
    parts = []
    for node in paragraph.iter(qn("w:t"), qn("w:tab"), qn("w:br")):
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        else:
            parts.append(" ")
    return "".join(parts)


def _cell_text(tc: Any, qn: Any) -> str:
    return "\n".join(_paragraph_text(p, qn) for p in tc.iter(qn("w:p")))


def _continues_merge(tc: Any, qn: Any) -> bool:
    properties = tc.find(qn("w:tcPr"))
    if properties is None:
        return False
    merge = properties.find(qn("w:vMerge"))
    return merge is not None and merge.get(qn("w:val")) in (None, "continue")


def convert_to_docx(path: Path) -> bytes:
    """A .doc/.wps/.odt file converted to DOCX bytes by LibreOffice, or a clear error."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise UnusableInput(str(path), "读取 .doc/.wps/.odt 文件需要 LibreOffice"
                                       "（apt-get install libreoffice-writer-nogui），本机未安装")
    with tempfile.TemporaryDirectory(prefix="nianbao-office-") as work:
        # A private profile per call: parallel conversions must not share one.
        profile = Path(work, "profile").as_uri()
        source = Path(work, "input" + (path.suffix.lower() or ".doc"))
        shutil.copyfile(path, source)
        command = [office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx",
                   "--outdir", work, str(source)]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=CONVERT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise UnusableInput(str(path), f"LibreOffice 转换超时（{CONVERT_TIMEOUT_S} 秒）") from None
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise UnusableInput(str(path), f"LibreOffice 无法转换此文件（{detail[0]}）") from None
        converted = source.with_suffix(".docx")
        if not converted.exists():
            raise UnusableInput(str(path), "LibreOffice 无法转换此文件（未生成 .docx）")
        return converted.read_bytes()
