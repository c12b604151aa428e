"""``record``: a frozen, slotted dataclass that is built as fast as a plain one.

A frozen dataclass sets every field through ``object.__setattr__``, so building one costs
four times what a plain slotted dataclass costs (0.56 against 0.14 µs for a two-field
``Position`` here), and parsing builds hundreds of thousands of them: positions, ranges,
nodes and entries for every value of every file. The type checker sees a ``record`` as a
frozen dataclass (``mypy --strict`` refuses an assignment to a field, so none is written);
at run time it is a plain slotted dataclass, hashed on its fields as a frozen one is.

Building the class costs less too, which is most of a check's start-up: a frozen dataclass
compiles six methods, a ``record`` three (``__repr__`` is made without compiling). Records
are for immutable values; ``slots=False`` keeps the instance ``__dict__``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated  # a marker for type checkers only


_Class = TypeVar("_Class", bound=type)


@overload
def record(cls: _Class, /) -> _Class: ...


@overload
def record(*, order: bool = False, slots: bool = True) -> Callable[[_Class], _Class]: ...


@dataclass_transform(frozen_default=True)
def record(cls: _Class | None = None, /, *, order: bool = False, slots: bool = True) -> Any:
    """``@dataclass(frozen=True, slots=True)`` to the type checker, without the cost."""

    def build(cls: _Class) -> _Class:
        made: type = dataclass(slots=slots, repr=False, unsafe_hash=True, order=order)(cls)
        return _shown(made)  # type: ignore[return-value]

    return build if cls is None else build(cls)


def _shown(cls: type) -> type:
    """``__repr__`` as a dataclass writes it, without compiling it: a dataclass compiles a
    function for each method it adds (about 0.1 ms each), and the dataclasses of a check
    are most of what its start-up costs. A repr is for people, and not on any hot path."""
    shown = [f.name for f in fields(cls) if f.repr]

    def __repr__(self: object) -> str:  # noqa: N807 - the method, made here
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({values})"

    __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
    cls.__repr__ = __repr__  # type: ignore[assignment,method-assign]
    return cls
