"""``record``: a frozen, slotted dataclass that is built as fast as a plain one.

A frozen dataclass sets every field through ``object.__setattr__``, so building one costs
four times what a plain slotted dataclass costs (0.56 against 0.14 µs for a two-field
``Position`` here), and parsing builds hundreds of thousands of them: positions, ranges,
nodes and entries for every value of every file. The type checker sees a ``record`` as a
frozen dataclass (``mypy --strict`` refuses an assignment to a field, so none is written);
at run time it is a plain slotted dataclass, hashed on its fields as a frozen one is.

Making the class costs less too, and the classes are most of a check's start-up. A
dataclass compiles a function for each method it adds, about 0.13 ms each: 0.4 ms for a
hashable class, 22 ms for the 67 classes a check makes. A ``record`` compiles only its
``__init__``, from a plain source that costs 0.04 ms. ``__eq__``, ``__hash__``, the
comparisons and ``__repr__`` are shared functions over the fields, read in C by
``attrgetter``.

Records are for immutable values; ``slots=False`` keeps the instance ``__dict__``. State
that changes (scan results, scopes) is a ``record(frozen=False)``: a plain dataclass to the
type checker too, with ``__dict__`` and no hash.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated  # a marker for type checkers only


_Class = TypeVar("_Class", bound=type)
_Values = Callable[[object], tuple[object, ...]]


@overload
def record(cls: _Class, /) -> _Class: ...


@overload
def record(
    *, order: bool = False, slots: bool | None = None, frozen: bool = True
) -> Callable[[_Class], _Class]: ...


@dataclass_transform(frozen_default=True)
def record(
    cls: _Class | None = None,
    /,
    *,
    order: bool = False,
    slots: bool | None = None,
    frozen: bool = True,
) -> Any:
    """``@dataclass(frozen=True, slots=True)`` to the type checker, without the cost.
    ``frozen=False``: ``@dataclass`` (mutable, with ``__dict__``, unhashable), for state."""
    if slots is None:
        slots = frozen

    def build(cls: _Class) -> _Class:
        undocumented = not cls.__doc__
        if undocumented:  # else the dataclass reads the signature, which costs 0.5 ms
            cls.__doc__ = cls.__name__
        # The dataclass adds no method: it finds the fields and makes the slotted class.
        made: type = dataclasses.dataclass(
            slots=slots, init=False, repr=False, eq=False, order=False
        )(cls)
        fields = dataclasses.fields(made)
        if undocumented:  # the dataclass's own doc, without the types
            made.__doc__ = f"{made.__name__}({', '.join(f.name for f in fields if f.init)})"
        compared = values_of([f.name for f in fields if f.compare])
        made.__init__ = _init(made)  # type: ignore[misc]
        made.__repr__ = _repr(made, values_of([f.name for f in fields if f.repr]))  # type: ignore[assignment,method-assign]
        made.__eq__ = _equal(compared)  # type: ignore[assignment,method-assign]
        # A mutable dataclass is unhashable: its hash would change with its fields.
        made.__hash__ = _hash(compared) if frozen else None  # type: ignore[assignment,method-assign]
        if order:
            for name, compare in _ORDERS.items():
                setattr(made, name, _order(compared, compare, name))
        return made  # type: ignore[return-value]

    return build if cls is None else build(cls)


def values_of(names: list[str]) -> _Values:
    """The values of ``names`` as a tuple, taken in C (``attrgetter`` of one name gives
    the bare value, of none is refused)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    many: _Values = operator.attrgetter(*names)
    return many


_FACTORY = object()  # marks an argument left to its field's default factory


def _init(cls: type) -> Callable[..., None]:
    """The ``__init__`` a dataclass writes: the fields in order, their defaults and default
    factories, the fields no argument sets, then ``__post_init__``. Its source is made of
    the field names only, as the dataclass makes it; compiled alone it costs 0.04 ms
    (the dataclass's own, 0.13 ms)."""
    scope: dict[str, object] = {"_FACTORY": _FACTORY}
    parameters = ["self"]
    body = []
    for field in dataclasses.fields(cls):
        name = field.name
        assert name.isidentifier() and name != "self", name  # the class statement saw to it
        factory = field.default_factory
        if factory is not dataclasses.MISSING:
            scope[f"_factory_{name}"] = factory
        if field.default is not dataclasses.MISSING:
            scope[f"_default_{name}"] = field.default
        if not field.init:
            if factory is not dataclasses.MISSING:
                body.append(f"self.{name} = _factory_{name}()")
            elif field.default is not dataclasses.MISSING:
                body.append(f"self.{name} = _default_{name}")
        elif factory is not dataclasses.MISSING:
            parameters.append(f"{name}=_FACTORY")
            body.append(f"self.{name} = _factory_{name}() if {name} is _FACTORY else {name}")
        else:
            default = "" if field.default is dataclasses.MISSING else f"=_default_{name}"
            parameters.append(f"{name}{default}")
            body.append(f"self.{name} = {name}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    lines = "\n    ".join(body or ["pass"])
    exec(f"def __init__({', '.join(parameters)}):\n    {lines}\n", scope)  # noqa: S102
    made: Callable[..., None] = scope["__init__"]  # type: ignore[assignment]
    made.__qualname__ = f"{cls.__qualname__}.__init__"
    return made


def _repr(cls: type, shown: _Values) -> Callable[[object], str]:
    names = [f.name for f in dataclasses.fields(cls) if f.repr]

    def __repr__(self: object) -> str:  # noqa: N807 - the method, made here
        values = ", ".join(
            f"{name}={value!r}" for name, value in zip(names, shown(self), strict=True)
        )
        return f"{self.__class__.__qualname__}({values})"

    __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
    return __repr__


def _equal(compared: _Values) -> Callable[[object, object], bool]:
    def __eq__(self: object, other: object) -> bool:  # noqa: N807
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    return __eq__


def _hash(compared: _Values) -> Callable[[object], int]:
    def __hash__(self: object) -> int:  # noqa: N807
        return hash(compared(self))

    return __hash__


_ORDERS: dict[str, Callable[[Any, Any], Any]] = {
    "__lt__": operator.lt,
    "__le__": operator.le,
    "__gt__": operator.gt,
    "__ge__": operator.ge,
}


def _order(
    compared: _Values,
    compare: Callable[[Any, Any], Any],
    name: str,
) -> Callable[[object, object], Any]:
    def method(self: object, other: object) -> Any:  # a bool, or NotImplemented
        if other.__class__ is self.__class__:
            return compare(compared(self), compared(other))
        return NotImplemented

    method.__name__ = name
    return method
