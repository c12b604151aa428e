"""``record``: a frozen, slotted dataclass that is built as fast as a plain one.

A frozen dataclass sets every field through ``object.__setattr__``, so building one costs
four times what a plain slotted dataclass costs (0.56 against 0.14 µs for a two-field
``Position`` here), and parsing builds hundreds of thousands of them: positions, ranges,
nodes and entries for every value of every file. The type checker sees a ``record`` as a
frozen dataclass (``mypy --strict`` refuses an assignment to a field, so none is written);
at run time it is a plain slotted class, hashed on its fields as a frozen dataclass is.

Making the class costs less too, and the classes are most of a check's start-up. A
dataclass compiles a function for each method it adds, about 0.13 ms each: 0.4 ms for a
hashable class, 22 ms for the 67 classes a check makes. A ``record`` compiles only its
``__init__``, from a plain source that costs 0.04 ms. ``__eq__``, ``__hash__``, the
comparisons and ``__repr__`` are shared functions over the fields, read in C by
``attrgetter``. And ``dataclasses`` is not imported: it imports ``inspect``, ``ast``,
``dis`` and ``tokenize`` (4-8 ms). ``field``, ``fields`` and ``replace`` are this module's,
for records, and do what the dataclass functions do.

Records are for immutable values; ``slots=False`` keeps the instance ``__dict__``. State
that changes (scan results, scopes) is a ``record(frozen=False)``: a plain dataclass to the
type checker too, with ``__dict__`` and no hash.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated  # a marker for type checkers only


_T = TypeVar("_T")
_Class = TypeVar("_Class", bound=type)
_Values = Callable[[object], tuple[object, ...]]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: A field without a default (or without a default factory).
MISSING: Any = _Missing()


class Field:
    """One field of a record, as ``dataclasses.Field`` describes one."""

    __slots__ = ("name", "default", "default_factory", "init", "repr", "compare")

    def __init__(
        self, default: Any, default_factory: Any, init: bool, repr: bool, compare: bool
    ) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare


@overload
def field(*, default: _T, init: bool = True, repr: bool = True, compare: bool = True) -> _T: ...


@overload
def field(
    *, default_factory: Callable[[], _T], init: bool = True, repr: bool = True, compare: bool = True
) -> _T: ...


@overload
def field(*, init: bool = True, repr: bool = True, compare: bool = True) -> Any: ...


def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    init: bool = True,
    repr: bool = True,  # noqa: A002 - the name dataclasses.field gives it
    compare: bool = True,
) -> Any:
    """``dataclasses.field``, for records: a default, a default factory, or neither."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, compare)


def fields(class_or_instance: object) -> tuple[Field, ...]:
    """A record's fields, in order (the inherited first), as ``dataclasses.fields``."""
    cls = class_or_instance if isinstance(class_or_instance, type) else type(class_or_instance)
    found: tuple[Field, ...] | None = getattr(cls, "__record_fields__", None)
    if found is None:
        raise TypeError(f"{cls.__qualname__} is not a record")
    return found


def replace(obj: _T, /, **changes: Any) -> _T:
    """``obj`` with ``changes``, as ``dataclasses.replace``: a new instance."""
    for f in fields(obj):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name} is declared with init=False")
        elif f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    made: _T = obj.__class__(**changes)
    return made


@overload
def record(cls: _Class, /) -> _Class: ...


@overload
def record(
    *, order: bool = False, slots: bool | None = None, frozen: bool = True
) -> Callable[[_Class], _Class]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
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
        found = _fields(cls)
        made = _slotted(cls, found) if slots else _unslotted(cls, found)
        made.__record_fields__ = found  # type: ignore[attr-defined]
        setattr(made, "__match_args__", tuple(f.name for f in found if f.init))  # noqa: B010
        if not cls.__doc__:  # the dataclass's own doc, without the types
            made.__doc__ = f"{made.__name__}({', '.join(f.name for f in found if f.init)})"
        compared = values_of([f.name for f in found if f.compare])
        made.__init__ = _init(made, found)  # type: ignore[misc]
        made.__repr__ = _repr(made, [f.name for f in found if f.repr])  # type: ignore[assignment,method-assign]
        made.__eq__ = _equal(compared)  # type: ignore[assignment,method-assign]
        # A mutable dataclass is unhashable: its hash would change with its fields.
        made.__hash__ = _hash(compared) if frozen else None  # type: ignore[assignment,method-assign]
        if order:
            for name, compare in _ORDERS.items():
                setattr(made, name, _order(compared, compare, name))
        return made  # type: ignore[return-value]

    return build if cls is None else build(cls)


def _fields(cls: type) -> tuple[Field, ...]:
    """The fields of the records ``cls`` derives from, then its own annotations'."""
    found: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for inherited in base.__dict__.get("__record_fields__", ()):
            found[inherited.name] = inherited
    own = cls.__dict__.get("__annotations__")
    if own is None:  # none, or (Python 3.14) made on first use
        own = cls.__annotations__
    for name, annotation in own.items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, Field):
            made = Field(
                value.default, value.default_factory, value.init, value.repr, value.compare
            )
        elif value is not MISSING and type(value).__hash__ is None:
            raise ValueError(
                f"mutable default {type(value)} for field {name}: use field(default_factory=...)"
            )
        else:
            made = Field(value, MISSING, True, True, True)
        made.name = name
        found[name] = made
    defaulted = False
    for f in found.values():
        if not f.init:
            continue
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if defaulted and not has_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        defaulted = defaulted or has_default
    return tuple(found.values())


def _slotted(cls: type, found: tuple[Field, ...]) -> type:
    """``cls`` made again with a slot for each field its bases have none for (class
    attributes holding defaults go: the defaults are the fields')."""
    inherited: set[str] = set()
    for base in cls.__mro__[1:-1]:
        slots = base.__dict__.get("__slots__", ())
        inherited.update((slots,) if isinstance(slots, str) else slots)
    names = [f.name for f in found]
    namespace = {
        key: value
        for key, value in cls.__dict__.items()
        if key not in names and key not in ("__dict__", "__weakref__")
    }
    namespace["__slots__"] = tuple(name for name in names if name not in inherited)
    made: type = type(cls)(cls.__name__, cls.__bases__, namespace)
    made.__qualname__ = cls.__qualname__
    return made


def _unslotted(cls: type, found: tuple[Field, ...]) -> type:
    """``cls`` with a plain default for each field declared by ``field()`` (none when the
    field has none), as a dataclass leaves it."""
    for f in found:
        declared = cls.__dict__.get(f.name)
        if isinstance(declared, Field):
            if f.default is MISSING:
                delattr(cls, f.name)
            else:
                setattr(cls, f.name, f.default)
    return cls


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


def _init(cls: type, found: tuple[Field, ...]) -> Callable[..., None]:
    """The ``__init__`` a dataclass writes: the fields in order, their defaults and default
    factories, the fields no argument sets, then ``__post_init__``. Its source is made of
    the field names only, as the dataclass makes it; compiled alone it costs 0.04 ms
    (the dataclass's own, 0.13 ms)."""
    scope: dict[str, object] = {"_FACTORY": _FACTORY}
    parameters = ["self"]
    body = []
    for each in found:
        name = each.name
        assert name.isidentifier() and name != "self", name  # the class statement saw to it
        factory = each.default_factory
        if factory is not MISSING:
            scope[f"_factory_{name}"] = factory
        if each.default is not MISSING:
            scope[f"_default_{name}"] = each.default
        if not each.init:
            if factory is not MISSING:
                body.append(f"self.{name} = _factory_{name}()")
            elif each.default is not MISSING:
                body.append(f"self.{name} = _default_{name}")
        elif factory is not MISSING:
            parameters.append(f"{name}=_FACTORY")
            body.append(f"self.{name} = _factory_{name}() if {name} is _FACTORY else {name}")
        else:
            default = "" if each.default is MISSING else f"=_default_{name}"
            parameters.append(f"{name}{default}")
            body.append(f"self.{name} = {name}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    lines = "\n    ".join(body or ["pass"])
    exec(f"def __init__({', '.join(parameters)}):\n    {lines}\n", scope)  # noqa: S102
    made: Callable[..., None] = scope["__init__"]  # type: ignore[assignment]
    made.__qualname__ = f"{cls.__qualname__}.__init__"
    return made


def _repr(cls: type, names: list[str]) -> Callable[[object], str]:
    shown = values_of(names)

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
