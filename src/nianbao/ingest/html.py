"""A saved web page → lines: the report's paragraphs and tables, without the site around it.

Parsed with lxml (charset from the page's ``<meta>``, else detected). Navigation, scripts,
headers and footers are dropped as elements; what chrome remains in the text (【上一篇】,
主办单位 …) the layout stage marks line by line. Each table row becomes one line of
tab-separated cells: a cell spanning several columns or rows is written once, in its first
row, as a report reads when copied from a browser; ``&nbsp;`` cells stay empty fields.
The page's own metadata boxes (索引号, 发布机构, 发文日期) are kept as properties.
"""

from __future__ import annotations

import re
from typing import Any

from nianbao.errors import UnusableInput
from nianbao.ingest.blocks import SourceLine, cell_text, row_line

# Never "header": an article's <header> often holds the report's title.
_DROP = ("script", "style", "noscript", "nav", "footer", "iframe", "form", "select", "button", "template", "svg",
         "head")
_BLOCK = {"p", "div", "section", "article", "main", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
          "blockquote", "pre", "dd", "dt", "dl", "center", "address", "figure", "figcaption", "caption"}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)
_PROPERTY_NAMES = "索引号|发布机构|发文机关|发文日期|发布日期|成文日期|信息来源"
_PROPERTY = re.compile(rf"({_PROPERTY_NAMES})\s*[:：]\s*(\S.*?)\s*"
                       rf"(?=\s{{2,}}|\u3000|\t|(?:{_PROPERTY_NAMES})\s*[:：]|$)")
_CHROME_CLASS = re.compile(r"(^|[\s_-])(nav|navbar|menu|footer|breadcrumb|crumb|share|sidebar|topbar|copyright)"
                           r"([\s_-]|$)", re.IGNORECASE)


def page_charset(data: bytes) -> str | None:
    found = _CHARSET.search(data[:4096])
    return found.group(1).decode("ascii").lower() if found else None


def read_html(path: str, text: str) -> tuple[list[SourceLine], dict[str, str]]:
    """The lines of a web page and its metadata properties."""
    import lxml.html
    from lxml import etree

    from nianbao.ingest.limits import check_tree

    parser = lxml.html.HTMLParser(huge_tree=True)  # else past 256 levels libxml2 drops content silently
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise UnusableInput(path, f"网页无法解析（{exc}）") from None
    check_tree(path, root, parser.error_log)
    for element in root.iter(*_DROP):
        _remove(element)
    for element in list(root.iter()):
        if _is_site_chrome(element):
            _remove(element)
    walker = _Walker()
    body = root.find("body")
    walker.visit(body if body is not None else root)
    walker.flush()
    properties: dict[str, str] = {}
    for line in walker.lines:
        for found in _PROPERTY.finditer(line.text):
            properties.setdefault(found.group(1), found.group(2))
    return walker.lines, properties


def _is_site_chrome(element: Any) -> bool:
    """A menu, footer or share bar marked by its class or id (never one holding a table)."""
    if not isinstance(element.tag, str) or element.tag in ("body", "html"):
        return False
    marks = f"{element.get('class') or ''} {element.get('id') or ''}"
    return bool(_CHROME_CLASS.search(marks)) and next(element.iter("table"), None) is None


def _remove(element: Any) -> None:
    parent = element.getparent()
    if parent is not None:
        tail = element.tail
        if tail:
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(element)


class _Walker:
    """Document order: text accumulates into the current line until a block boundary."""

    def __init__(self) -> None:
        self.lines: list[SourceLine] = []
        self.buffer: list[str] = []
        self.tables = 0

    def flush(self) -> None:
        text = re.sub(r"[ \t\r\n\u00a0]+", " ", "".join(self.buffer)).strip()
        if text:
            self.lines.append(SourceLine(text, None))
        self.buffer = []

    def visit(self, element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "table":
            self.flush()
            self.table(element)
        elif tag == "br":
            self.flush()
        else:
            block = tag in _BLOCK
            if block:
                self.flush()
            if element.text and tag:
                self.buffer.append(element.text)
            for child in element:
                self.visit(child)
                if child.tail:
                    self.buffer.append(child.tail)
            if block:
                self.flush()

    def table(self, table: Any) -> None:
        self.tables += 1
        number = self.tables
        rows = [tr for tr in table.iter("tr") if _owner_table(tr) is table]
        for index, tr in enumerate(rows, start=1):
            cells = [cell_text(_cell_content(td)) for td in tr if getattr(td, "tag", None) in ("td", "th")]
            line = row_line(cells, f"表格{number} 第{index}行")
            if line.text:
                self.lines.append(line)


def _owner_table(tr: Any) -> Any:
    node = tr.getparent()
    while node is not None and node.tag != "table":
        node = node.getparent()
    return node


def _cell_content(td: Any) -> str:
    """A cell's text with ``<br>`` and paragraphs as line breaks (joined later)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag == "br":
            parts.append("\n")
        if node.text and tag not in ("script", "style"):
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag in ("p", "div"):
            parts.append("\n")

    walk(td)
    return "".join(parts).replace("\u00a0", " ")
