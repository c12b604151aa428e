"""SAM ``Globals``: the settings an ``AWS::Serverless::Function`` inherits from its template.

The SAM translator copies ``Globals.Function`` into every function: a value set on the
function wins, and ``IgnoreGlobals`` (``"*"`` or a list of property names) on the resource
opts out. Lists such as ``Layers`` are concatenated (global first).
"""

from __future__ import annotations

from iacperf.rules.api import Context, Related
from iacperf.rules.model import Entry, MappingNode, Resource, shift_entry
from iacperf.rules.records import record
from iacperf.rules.values import strings, text

FUNCTION = "AWS::Serverless::Function"


@record
class Setting:
    """A function (or API) property and where it is written."""

    entry: Entry
    from_globals: bool = False
    section: str = "Function"  # the Globals section it comes from

    def related(self, resource: Resource) -> tuple[Related, ...]:
        if not self.from_globals:
            return ()
        message = f"{self.entry.key} is set in Globals.{self.section}"
        return (Related(message, resource.path, resource.absolute(self.entry.range)),)


def function_setting(resource: Resource, context: Context, key: str) -> Setting | None:
    """The function's own ``key``, else the one it inherits from ``Globals.Function``."""
    local = resource.get(key)
    if local is not None:
        return Setting(local)
    inherited = global_entry(resource, context, key)
    return Setting(inherited, from_globals=True) if inherited is not None else None


def global_entry(resource: Resource, context: Context, key: str) -> Entry | None:
    """``Globals.Function.<key>`` when the resource is a SAM function that inherits it.

    Its ranges are relative to the resource, like the resource's own: ``Globals`` is at
    offset 0, a resource parsed apart from the rest of its template is not."""
    if resource.kind != FUNCTION or context.globals is None or _ignores(resource, key):
        return None
    section = context.globals.get("Function")
    if section is None or not isinstance(section.value, MappingNode):
        return None
    entry = section.value.get(key)
    if entry is None or not resource.line_offset:
        return entry
    return shift_entry(entry, -resource.line_offset)


def _ignores(resource: Resource, key: str) -> bool:
    ignore = resource.node.get("IgnoreGlobals")
    if ignore is None:
        return False
    if text(ignore) == "*":
        return True
    names = strings(ignore)
    return names is not None and key in names


# ---------------------------------------------------------------------------
# AWS::Serverless::Api: ``Globals.Api`` works the same way (lists such as ``MethodSettings``
# are concatenated, global first).

API = "AWS::Serverless::Api"


def api_setting(resource: Resource, context: Context, key: str) -> Setting | None:
    """The API's own ``key``, else the one it inherits from ``Globals.Api``."""
    local = resource.get(key)
    if local is not None:
        return Setting(local, section="Api")
    inherited = api_global_entry(resource, context, key)
    if inherited is None:
        return None
    return Setting(inherited, from_globals=True, section="Api")


def api_global_entry(resource: Resource, context: Context, key: str) -> Entry | None:
    """``Globals.Api.<key>`` when the resource is a SAM API that inherits it (ranges relative
    to the resource, as in ``global_entry``)."""
    if resource.kind != API or context.globals is None or _ignores(resource, key):
        return None
    section = context.globals.get("Api")
    if section is None or not isinstance(section.value, MappingNode):
        return None
    entry = section.value.get(key)
    if entry is None or not resource.line_offset:
        return entry
    return shift_entry(entry, -resource.line_offset)
