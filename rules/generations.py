"""Previous-generation instance families and the current ones that replace them, size for size.

The tables live in ``rules/data/*.json`` (each names its sources and the date they were
taken); this module reads them once and answers "which current types of the same size
can replace this one".
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from iacperf.rules.records import field, record
from iacperf.rules.tables import table as data_table


@record(slots=False)
class Generations:
    """One table: previous families, their successor families, and the sizes those offer."""

    #: Previous-generation family -> successor families, in order of preference.
    successors: Mapping[str, tuple[str, ...]]
    #: Successor family -> the sizes it is offered in.
    sizes: Mapping[str, frozenset[str]]
    #: Families running on Graviton (arm64).
    graviton: frozenset[str]
    #: Successor family -> database engines (also as ``engine:licence-model``) that can
    #: order it; empty when the table is not engine-bound.
    engines: Mapping[str, frozenset[str]]
    #: Successor family -> engine -> its sizes, where an engine offers fewer than
    #: ``sizes`` (Aurora orders no db.t4g.small).
    engine_sizes: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)

    def is_previous(self, family: str) -> bool:
        return family in self.successors

    def candidates(self, family: str, size: str, engine: str | None = None) -> list[str]:
        """Current types of the same size that replace ``family.size``, preferred first.

        With ``engine`` given, only classes that engine can order.
        """
        found = []
        for successor in self.successors.get(family, ()):
            sizes = self.sizes.get(successor, frozenset())
            if engine is not None:
                supported = self.engines.get(successor)
                if supported is not None and engine not in supported:
                    continue
                sizes = self.engine_sizes.get(successor, {}).get(engine, sizes)
            if size in sizes:
                found.append(f"{successor}.{size}")
        return found

    def knows_engine(self, engine: str) -> bool:
        return any(engine in engines for engines in self.engines.values())

    def is_graviton(self, type_name: str) -> bool:
        return type_name.rsplit(".", 1)[0] in self.graviton


@cache
def load(name: str) -> Generations:
    """The table in ``rules/data/<name>``."""
    table: dict[str, Any] = data_table(name)
    return Generations(
        successors={k: tuple(v) for k, v in table["previous_generation"].items()},
        sizes={k: frozenset(v) for k, v in table["sizes"].items()},
        graviton=frozenset(table["graviton"]),
        engines={k: frozenset(v) for k, v in table.get("engines", {}).items()},
        engine_sizes={
            family: {engine: frozenset(sizes) for engine, sizes in by_engine.items()}
            for family, by_engine in table.get("engine_sizes", {}).items()
        },
    )
