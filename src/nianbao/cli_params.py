"""Typer's parameter coercion without pydantic for the parameter types nianbao's fast commands use.

Typer (≥ 0.2x) coerces every parameter value through a pydantic TypeAdapter; importing pydantic and
building those adapters cost ~100 ms of the ~0.3 s start-up of ``nianbao parse one.txt`` (issue #12).
For a path, a list of paths and an enum choice the adapters only call typer's own pydantic-free
helpers, so those are called directly here; a missing value needs no coercion at all. Any other
parameter, and any value these helpers might reject, goes to typer's own coercion unchanged (the
same value, the same error message). Installed once by ``nianbao.cli``; should typer's internals
differ, nothing is installed and typer coerces as before (slower, never wrong)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

_UNHANDLED = object()


def install() -> bool:
    """Put the shortcut in front of typer's coercion; False when typer's internals are not the expected ones."""
    try:
        from typer import _coercion, _param_types
        from typer.core import _TyperParameter
    except ImportError:
        return False
    if not all(hasattr(_param_types, name) for name in ("coerce_cli_path", "coerce_cli_choice", "routes_to_path")):
        return False
    found: Callable[[Any], Any] | None = getattr(_TyperParameter, "get_runtime_param", None)
    base = getattr(_coercion, "RuntimeParam", None)
    if found is None or base is None:
        return False
    if getattr(found, "_nianbao", False):
        return True  # installed already
    original: Callable[[Any], Any] = found

    class _Shortcut(base):  # type: ignore[misc, valid-type]
        """Coerce what needs no pydantic; build typer's own coercion only for the rest."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            coerced = _coerce(self.annotation, self.parameter_info, value, param, ctx)
            if coerced is _UNHANDLED:
                param._runtime_param = None
                return original(param)._coerce_value(value, param=param, ctx=ctx)
            return coerced

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            if descriptor.file_annotation is not None:
                return original(self)
            self._runtime_param = _Shortcut(parameter_info=descriptor.parameter_info,
                                            annotation=descriptor.annotation)
        return self._runtime_param

    get_runtime_param._nianbao = True  # type: ignore[attr-defined]
    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
    return True


def _coerce(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    """What typer's adapter for ``annotation`` returns for ``value``, or _UNHANDLED."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation) or (Any,)
        items = value if isinstance(value, (list, tuple)) else [value]
        out = [_leaf(item, info, v, param, ctx) for v in items]
        return _UNHANDLED if any(v is _UNHANDLED for v in out) else out
    return _leaf(annotation, info, value, param, ctx)


def _leaf(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    from typer import _param_types

    if info.parser is not None:
        return _UNHANDLED
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        if isinstance(value, annotation):
            return value
        if isinstance(value, str) and value in {m.value for m in annotation}:
            return _param_types.coerce_cli_choice(value, choices=list(annotation),
                                                  case_sensitive=info.case_sensitive, ctx=ctx)
        return _UNHANDLED
    if isinstance(annotation, type) and issubclass(annotation, Path) and _param_types.routes_to_path(annotation, info):
        path_type = info.path_type or annotation
        if not (isinstance(path_type, type) and issubclass(path_type, Path)) or not isinstance(value, (str, Path)):
            return _UNHANDLED
        # typer turns a str into the path type with pydantic (path_type(value) for a str); handed
        # a path already, its helper does the rest (exists, readable …) without pydantic.
        return _param_types.coerce_cli_path(value if isinstance(value, path_type) else path_type(value), info,
                                            path_type=path_type, param=param, ctx=ctx)
    return _UNHANDLED
