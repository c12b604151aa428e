"""``record`` behaves as the frozen dataclass the type checker sees, although it compiles
its ``__init__`` only on the class's first instantiation."""

from __future__ import annotations

import pickle

import pytest

from iacperf.rules.model import Position, SourceRange
from iacperf.rules.records import field, fields, record, replace


@record
class _Point:
    x: int
    y: int = 0
    tags: frozenset[str] = frozenset()


@record(order=True)
class _Version:
    major: int
    minor: int


@record(slots=False)
class _Counted:
    name: str
    seen: set[str] = field(default_factory=set)
    hidden: int = field(default=7, compare=False, repr=False)
    label: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"<{self.name}>")


@record
class _Weighted:
    name: str
    weight: int = field(default=0, compare=False)


@record
class _Base:
    first: int


@record
class _Derived(_Base):
    second: str = "b"


@record
class _Empty:
    pass


def test_fields_defaults_and_keywords() -> None:
    assert _Point(1) == _Point(1, 0, frozenset())
    point = _Point(y=2, x=1)
    assert (point.x, point.y, point.tags) == (1, 2, frozenset())
    with pytest.raises(TypeError):
        _Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _Point(1, 2, frozenset(), 4)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _Point(1, z=3)  # type: ignore[call-arg]


def test_default_factory_is_called_per_instance() -> None:
    first, second = _Counted("a"), _Counted("a")
    assert first.seen is not second.seen
    shared: set[str] = {"x"}
    assert _Counted("a", shared).seen is shared


def test_init_false_fields_and_post_init() -> None:
    counted = _Counted("a", hidden=3)
    assert counted.label == "<a>"
    assert counted.hidden == 3
    with pytest.raises(TypeError):
        _Counted("a", label="x")


def test_equality_and_hash_follow_compared_fields() -> None:
    assert _Counted("a", hidden=1) == _Counted("a", hidden=2)
    assert hash(_Weighted("a", 1)) == hash(_Weighted("a", 2))
    assert _Weighted("a", 1) == _Weighted("a", 2)
    with pytest.raises(TypeError):
        hash(_Counted("a"))  # a set among the compared fields, as with a dataclass
    assert _Counted("a") != _Counted("b")
    assert _Point(1, 2) != _Point(2, 1)
    assert len({_Point(1, 2), _Point(1, 2), _Point(2, 1)}) == 2
    # Another class with equal fields is not equal, as with dataclasses.
    assert _Base(1) != _Derived(1, "b")
    assert _Base(1).__eq__(object()) is NotImplemented
    assert _Empty() == _Empty()
    assert hash(_Empty()) == hash(())


def test_order_compares_fields_in_order() -> None:
    assert _Version(1, 9) < _Version(2, 0) <= _Version(2, 0)
    assert _Version(2, 1) > _Version(2, 0) >= _Version(2, 0)
    assert sorted([_Version(2, 0), _Version(1, 5), _Version(1, 2)]) == [
        _Version(1, 2),
        _Version(1, 5),
        _Version(2, 0),
    ]
    assert min(Position(3, 1), Position(2, 9)) == Position(2, 9)
    with pytest.raises(TypeError):
        _ = _Version(1, 0) < (1, 0)  # type: ignore[operator]


def test_inherited_fields_come_first() -> None:
    derived = _Derived(1)
    assert (derived.first, derived.second) == (1, "b")
    assert [f.name for f in fields(_Derived)] == ["first", "second"]
    # The base's first instantiation must not replace the subclass's __init__.
    assert _Base(5).first == 5
    assert _Derived(2, "c") == _Derived(2, "c")


def test_repr_replace_and_pickle() -> None:
    assert repr(_Counted("a", hidden=3)) == "_Counted(name='a', seen=set(), label='<a>')"
    assert repr(SourceRange.of(1, 2, 3, 4)) == (
        "SourceRange(start=Position(line=1, character=2), end=Position(line=3, character=4))"
    )
    point = _Point(1, 2)
    assert replace(point, y=5) == _Point(1, 5)
    assert pickle.loads(pickle.dumps(point)) == point


def test_slots_unless_asked_otherwise() -> None:
    assert not hasattr(_Point(1), "__dict__")
    assert hasattr(_Counted("a"), "__dict__")


def test_classes_without_a_docstring_are_described_by_their_fields() -> None:
    assert _Point.__doc__ == "_Point(x, y, tags)"
    assert _Counted.__doc__ == "_Counted(name, seen, hidden)"


@record(frozen=False)
class _Tally:
    name: str
    seen: list[str] = field(default_factory=list)


def test_mutable_records_are_plain_dataclasses() -> None:
    tally = _Tally("a")
    tally.seen.append("x")
    tally.name = "b"
    tally.extra = 1  # type: ignore[attr-defined]  # a __dict__, as a dataclass has
    assert tally == _Tally("b", ["x"])
    assert _Tally.__hash__ is None
    with pytest.raises(TypeError):
        hash(tally)


def test_declaration_errors_are_a_dataclass_s() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @record
        class _Shared:
            items: list[str] = []  # noqa: RUF012 - the mistake under test

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @record
        class _Backwards:
            a: int = 0
            b: int

    with pytest.raises(ValueError, match="both default and default_factory"):
        field(default=1, default_factory=int)


def test_replace_and_fields_refuse_what_a_dataclass_refuses() -> None:
    with pytest.raises(ValueError, match="init=False"):
        replace(_Counted("a"), label="x")
    with pytest.raises(TypeError, match="not a record"):
        fields(object())
    assert [f.name for f in fields(_Counted("a"))] == ["name", "seen", "hidden", "label"]
