"""Uploaded files: limits, zip members (no path traversal, no zip bombs), ingest one file at a time.

Every file gets its own result line: stored (with the report's id), already stored, or the
one-line reason it was refused or could not be read. Files are kept under the upload folder,
named by content hash, so the store's ``path`` keeps pointing at a readable source.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import sqlalchemy as sa

from nianbao.batch import REPORT_SUFFIXES
from nianbao.store import schema
from nianbao.store.db import Store
from nianbao.store.ingest import ingest


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 20 * 1024 * 1024  # one uploaded file (a zip counts as one)
    files: int = 50  # files in one upload request
    zip_members: int = 500  # report files inside one zip
    zip_bytes: int = 200 * 1024 * 1024  # a zip's members unpacked, together
    zip_ratio: int = 100  # a member's unpacked size over its packed size

    @property
    def request_bytes(self) -> int:
        return self.file_bytes * self.files + 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    message: str
    report_id: int | None = None


class Refused(Exception):
    """An uploaded file or zip member refused before ingest (one line, Chinese)."""


_UNSAFE = re.compile(r"[^\w.\-\u3000-\u9fff\uff00-\uffef()（）]+")


def _clean_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip("._") or "report"
    return cleaned[-120:]


def _member_files(name: str, data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    """The report files inside a zip, checked before anything is unpacked."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Refused("不是有效的 zip 文件") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        for info in infos:
            member = info.filename.replace("\\", "/")
            parts = PurePosixPath(member).parts
            if member.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                raise Refused(f"压缩包中的路径“{info.filename}”越出压缩包，拒绝处理")
        wanted = [i for i in infos if PurePosixPath(i.filename).suffix.lower() in REPORT_SUFFIXES
                  and not any(p.startswith(".") or p == "__MACOSX" for p in PurePosixPath(i.filename).parts)]
        if len(wanted) > limits.zip_members:
            raise Refused(f"压缩包中有 {len(wanted)} 个报告文件，超过上限 {limits.zip_members} 个")
        total = sum(i.file_size for i in wanted)
        if total > limits.zip_bytes:
            raise Refused(f"压缩包解压后 {total} 字节，超过上限 {limits.zip_bytes} 字节")
        out = []
        for info in wanted:
            if info.file_size > limits.file_bytes or info.file_size > max(info.compress_size, 1) * limits.zip_ratio:
                raise Refused(f"压缩包中的“{info.filename}”解压后过大（疑似压缩炸弹），拒绝处理")
            with archive.open(info) as stream:
                content = stream.read(info.file_size + 1)  # never more than it declared
            if len(content) > info.file_size:
                raise Refused(f"压缩包中的“{info.filename}”实际大小与声明不符，拒绝处理")
            out.append((info.filename, content))
    if not out:
        raise Refused("压缩包中没有报告文件")
    return out


def _save(folder: Path, name: str, data: bytes) -> Path:
    digest = hashlib.sha256(data).hexdigest()
    target = folder / digest[:2] / f"{digest[:16]}_{_clean_name(name)}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
    return target


def _ingest_one(store: Store, shown: str, path: Path) -> Outcome:
    summary = ingest(store, [path], jobs=1)
    if summary.failed:
        return Outcome(shown, False, summary.failed[0].reason)
    if summary.unreadable:
        return Outcome(shown, False, summary.unreadable[0][1])
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with store.engine.connect() as conn:
        report_id = conn.execute(sa.select(schema.reports.c.id).where(schema.reports.c.sha256 == sha)).scalar()
        if report_id is None:
            reason = conn.execute(sa.select(schema.failures.c.reason).where(schema.failures.c.sha256 == sha)).scalar()
            return Outcome(shown, False, str(reason or "未能入库"))
    message = "已入库" if summary.stored else "已在库中（同一文件此前已入库）"
    return Outcome(shown, True, message, int(report_id))


def accept(store: Store, folder: Path, name: str, data: bytes, limits: Limits) -> list[Outcome]:
    """One uploaded file (or zip) → one outcome per report file."""
    shown = _clean_name(name)
    if len(data) > limits.file_bytes:
        return [Outcome(shown, False, f"文件过大（{len(data)} 字节，上限 {limits.file_bytes} 字节）")]
    if not data:
        return [Outcome(shown, False, "文件为空")]
    suffix = PurePosixPath(shown).suffix.lower()
    if suffix == ".zip":
        try:
            members = _member_files(name, data, limits)
        except Refused as exc:
            return [Outcome(shown, False, str(exc))]
        return [_ingest_one(store, f"{shown}/{_clean_name(m)}", _save(folder, m, content))
                for m, content in members]
    if suffix not in REPORT_SUFFIXES:
        return [Outcome(shown, False, f"不支持的文件类型“{suffix or '无扩展名'}”")]
    return [_ingest_one(store, shown, _save(folder, name, data))]
