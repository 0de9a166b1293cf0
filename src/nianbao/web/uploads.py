"""Uploaded files: limits, zip members (no path traversal, no zip bombs), saved for the upload runner.

Every report file gets its own line: saved (to be ingested by the runner, see ``jobs``), or the
one-line reason it was refused. Files are kept under the upload folder, named by content hash,
so the store's ``path`` keeps pointing at a readable source.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nianbao.batch import REPORT_SUFFIXES


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
class Saved:
    """One report file of an upload: saved at ``path`` (with its hash), or refused with ``refused``."""

    name: str
    path: Path | None = None
    sha256: str | None = None
    refused: str | None = None


class Refused(Exception):
    """An uploaded file or zip member refused before ingest (one line, Chinese)."""


_UNSAFE = re.compile(r"[^\w.\-\u3000-\u9fff\uff00-\uffef()（）]+")


def clean_name(name: str) -> str:
    """A file name safe to show and to save under: the last path part, odd characters replaced."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip("._") or "report"
    return cleaned[-120:]


def _checked_members(archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """The report files inside a zip, every declared size and path checked before anything is unpacked."""
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
    for info in wanted:
        if info.file_size > limits.file_bytes or info.file_size > max(info.compress_size, 1) * limits.zip_ratio:
            raise Refused(f"压缩包中的“{info.filename}”解压后过大（疑似压缩炸弹），拒绝处理")
    if not wanted:
        raise Refused("压缩包中没有报告文件")
    return wanted


def _unpack(folder: Path, shown: str, data: bytes, limits: Limits) -> list[Saved]:
    """Save a zip's report files one at a time (memory: one member), or refuse the zip whole."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Refused("不是有效的 zip 文件") from None
    saved: list[Saved] = []
    with archive:
        for info in _checked_members(archive, limits):
            try:
                with archive.open(info) as stream:
                    content = stream.read(info.file_size + 1)  # never more than it declared
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise Refused(f"压缩包中的“{info.filename}”无法解压（{type(exc).__name__}）") from None
            if len(content) > info.file_size:
                raise Refused(f"压缩包中的“{info.filename}”实际大小与声明不符，拒绝处理")
            path, digest = _save(folder, info.filename, content)
            saved.append(Saved(f"{shown}/{clean_name(info.filename)}", path, digest))
    return saved


def _save(folder: Path, name: str, data: bytes) -> tuple[Path, str]:
    digest = hashlib.sha256(data).hexdigest()
    target = folder / digest[:2] / f"{digest[:16]}_{clean_name(name)}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_name(f".{secrets.token_hex(6)}.part")  # unique: two requests may save one file
        partial.write_bytes(data)
        partial.replace(target)  # a crash mid-write never leaves a truncated file under the final name
    return target, digest


def prepare(folder: Path, name: str, data: bytes, limits: Limits) -> list[Saved]:
    """One uploaded file (or zip) → its report files, saved under ``folder`` or refused, one line each.

    A zip refused for any reason (traversal, bomb, too many members) is one refused line: none of
    its members is kept for ingest (members saved before the refusal are content-addressed copies,
    harmless and reused if uploaded again)."""
    shown = clean_name(name)
    if len(data) > limits.file_bytes:
        return [Saved(shown, refused=f"文件过大（{len(data)} 字节，上限 {limits.file_bytes} 字节）")]
    if not data:
        return [Saved(shown, refused="文件为空")]
    suffix = PurePosixPath(shown).suffix.lower()
    if suffix == ".zip":
        try:
            return _unpack(folder, shown, data, limits)
        except Refused as exc:
            return [Saved(shown, refused=str(exc))]
    if suffix not in REPORT_SUFFIXES:
        return [Saved(shown, refused=f"不支持的文件类型“{suffix or '无扩展名'}”")]
    path, digest = _save(folder, name, data)
    return [Saved(shown, path, digest)]
