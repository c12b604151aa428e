"""ElastiCache node types: where resources name them, their engine, and what can replace them.

Shared by PERF032 (previous generation) and PERF033 (x86 with a Graviton equivalent). A
successor is proposed only in the same size and only when the cluster's engine version can
run it: the minimum versions come from the ElastiCache "Supported node types" tables
(``minimum_engine_versions`` in the data files).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from iacperf.rules.generations import Generations
from iacperf.rules.model import Entry, Format, Node, Resource
from iacperf.rules.records import record
from iacperf.rules.tables import table as data_table
from iacperf.rules.values import text

# resource kind -> (node type, engine, engine version, parameter group) keys
_KEYS: dict[str, tuple[str, str, str, str]] = {
    "aws_elasticache_cluster": ("node_type", "engine", "engine_version", "parameter_group_name"),
    "aws_elasticache_replication_group": (
        "node_type",
        "engine",
        "engine_version",
        "parameter_group_name",
    ),
    "AWS::ElastiCache::CacheCluster": (
        "CacheNodeType",
        "Engine",
        "EngineVersion",
        "CacheParameterGroupName",
    ),
    "AWS::ElastiCache::ReplicationGroup": (
        "CacheNodeType",
        "Engine",
        "EngineVersion",
        "CacheParameterGroupName",
    ),
}
TERRAFORM = tuple(kind for kind in _KEYS if not kind.startswith("AWS::"))
CLOUDFORMATION = tuple(kind for kind in _KEYS if kind.startswith("AWS::"))

#: Engines as the minimum-version tables name them.
_ENGINE_NAMES = {"redis": "Redis OSS", "valkey": "Valkey", "memcached": "Memcached"}
#: A replication group runs Redis OSS unless it says otherwise; a cluster must say.
_DEFAULT_ENGINE = {
    "aws_elasticache_replication_group": "redis",
    "AWS::ElastiCache::ReplicationGroup": "redis",
}
_VERSION_PART = re.compile(r"\d+|x")
#: A default parameter group names the engine version family it is for
#: (``default.redis3.2``, ``default.redis6.x.cluster.on``, ``default.memcached1.6``).
_DEFAULT_GROUP = re.compile(r"^default\.(redis|memcached|valkey)(\d+(?:\.\d+)*)", re.IGNORECASE)


@record
class NodeType:
    """A literal node type on a resource, with what is known about its engine."""

    node: Node
    value: str  # as written
    family: str  # cache.m5
    size: str  # large
    #: "redis", "valkey" or "memcached"; None when not known.
    engine: str | None
    #: The engine version as numbers ("6.x" -> (6, 99)); without one, the lowest version
    #: of a default parameter group's family (``default.redis3.2`` -> (3, 2)), else ()
    #: (the newest applies); None when it is not known (a reference, or no known engine).
    version: tuple[int, ...] | None


def node_type(resource: Resource) -> NodeType | None:
    """The resource's node type when it is written as a literal."""
    keys = _KEYS.get(resource.kind)
    if keys is None:
        return None
    type_key, engine_key, version_key, group_key = keys
    entry = resource.get(type_key)
    value = text(entry)
    if entry is None or value is None:
        return None
    family, _, size = value.strip().lower().rpartition(".")
    if not family.startswith("cache.") or not size:
        return None
    engine = _engine(resource, resource.get(engine_key))
    version = _version(resource.get(version_key)) if engine is not None else None
    if version == ():
        version = _group_version(resource.get(group_key))
    return NodeType(entry.value, value.strip(), family, size, engine, version)


def _engine(resource: Resource, entry: Entry | None) -> str | None:
    if entry is None:
        return _DEFAULT_ENGINE.get(resource.kind)
    value = text(entry)
    if value is None:
        return None
    engine = value.strip().lower()
    return engine if engine in _ENGINE_NAMES else None


def _version(entry: Entry | None) -> tuple[int, ...] | None:
    if entry is None:
        return ()
    value = text(entry)
    if value is None:
        return None
    parts = _VERSION_PART.findall(value)
    if not parts or parts[0] == "x":
        return None
    # "6.x" asks for the newest 6: it meets any 6.y minimum.
    return tuple(99 if part == "x" else int(part) for part in parts)


def _group_version(entry: Entry | None) -> tuple[int, ...]:
    """The lowest engine version a default parameter group's family admits: with no
    ``engine_version`` the group decides which engine version the cluster can run."""
    match = _DEFAULT_GROUP.match(text(entry) or "")
    if match is None:
        return ()  # none, or a custom group: the newest version applies
    return tuple(int(part) for part in match.group(2).split("."))


@cache
def minimum_versions(name: str) -> Mapping[str, Mapping[str, tuple[int, ...]]]:
    """family -> engine -> minimum engine version, from ``rules/data/<name>``."""
    table = data_table(name)
    return {
        family: {engine: _parse(version) for engine, version in engines.items()}
        for family, engines in table["minimum_engine_versions"].items()
    }


def _parse(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def runs(name: str, candidate: str, node: NodeType) -> bool | None:
    """Whether ``candidate`` can run the node's engine version; None when not known."""
    if node.version is None or node.engine is None:
        return None
    if not node.version:
        return True  # no version written: ElastiCache creates the newest
    family = candidate.rsplit(".", 1)[0]
    minimum = minimum_versions(name).get(family, {}).get(node.engine)
    return minimum is None or _at_least(node.version, minimum)


def _at_least(version: tuple[int, ...], minimum: tuple[int, ...]) -> bool:
    width = max(len(version), len(minimum))
    return version + (0,) * (width - len(version)) >= minimum + (0,) * (width - len(minimum))


def minimum_text(name: str, candidate: str, node: NodeType) -> str:
    """``Redis OSS 6.2+`` for the candidate's family and the node's engine (every engine
    but Valkey, which runs on every current node type, when the engine is not known)."""
    family = candidate.rsplit(".", 1)[0]
    minimums = minimum_versions(name).get(family, {})
    return ", ".join(
        f"{_ENGINE_NAMES[engine]} {'.'.join(map(str, version))}+"
        for engine, version in minimums.items()
        if engine == node.engine or (node.engine is None and engine != "valkey")
    )


def engine_label(node: NodeType) -> str:
    """``Redis OSS 5.0.6`` (the engine and version as read)."""
    name = _ENGINE_NAMES.get(node.engine or "", "the engine")
    if not node.version:
        return name
    return f"{name} {'.'.join('x' if part == 99 else str(part) for part in node.version)}"


def key_name(resource: Resource) -> str:
    return "node_type" if resource.format is Format.TERRAFORM else "CacheNodeType"


def candidates(table: Generations, node: NodeType) -> list[str]:
    """Same-size successors of the node's family, preferred first."""
    return table.candidates(node.family, node.size)
