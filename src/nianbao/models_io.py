"""Reports in and out of JSON, validated: pydantic over the dataclasses of ``nianbao.models``.

Imported only by the commands that read or store a report's whole document (the store), so that
``nianbao parse`` never pays for pydantic. The adapters are built on first use."""

from __future__ import annotations

from functools import cache

from pydantic import TypeAdapter

from nianbao.models import Report


@cache
def _report_adapter() -> TypeAdapter[Report]:
    return TypeAdapter(Report)


def report_json(report: Report) -> bytes:
    """The whole report as JSON: every field, the prose and facts too (the memo is not a field)."""
    return _report_adapter().dump_json(report)


def report_from_json(data: bytes | str) -> Report:
    """A report read back from ``report_json``'s JSON; raises pydantic's ValidationError on bad data."""
    return _report_adapter().validate_json(data)
