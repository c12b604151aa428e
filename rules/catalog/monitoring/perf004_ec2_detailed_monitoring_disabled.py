"""PERF004: EC2 detailed (1-minute) monitoring disabled."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import Block, Edit, insert_value, replace_value
from iacperf.rules.model import Entry, Format, MappingNode, Node, Resource, SequenceNode
from iacperf.rules.records import record
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF02_BP03

#: Environment tag values that mark a resource as not production (option
#: ``non-production-environments`` replaces the list).
NON_PRODUCTION = ("dev", "development", "test", "testing", "sandbox", "qa", "demo", "poc")
ENVIRONMENT_TAGS = frozenset({"environment", "env", "stage"})


@record
class _Setting:
    """Where one resource type switches detailed monitoring on."""

    path: tuple[str, ...]  # from the body down to the boolean
    default: bool  # what AWS does when it is absent
    in_place: bool  # False when changing it replaces the resource
    #: Terraform: the nested block holding the boolean (``monitoring { enabled }``).
    block: str = ""


_SETTINGS = {
    "aws_instance": _Setting(("monitoring",), default=False, in_place=True),
    "aws_launch_template": _Setting(
        ("monitoring", "enabled"), default=False, in_place=True, block="monitoring"
    ),
    "aws_launch_configuration": _Setting(("enable_monitoring",), default=True, in_place=False),
    "AWS::EC2::Instance": _Setting(("Monitoring",), default=False, in_place=True),
    "AWS::EC2::LaunchTemplate": _Setting(
        ("LaunchTemplateData", "Monitoring", "Enabled"), default=False, in_place=True
    ),
    "AWS::AutoScaling::LaunchConfiguration": _Setting(
        ("InstanceMonitoring",), default=True, in_place=False
    ),
}
#: An instance launched from a launch template inherits its monitoring setting.
_FROM_TEMPLATE = {"aws_instance": "launch_template", "AWS::EC2::Instance": "LaunchTemplate"}


@rule(
    code="PERF004",
    name="ec2-detailed-monitoring-disabled",
    title="EC2 detailed (1-minute) monitoring disabled",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_instance", "aws_launch_template", "aws_launch_configuration"),
    cloudformation=(
        "AWS::EC2::Instance",
        "AWS::EC2::LaunchTemplate",
        "AWS::AutoScaling::LaunchConfiguration",
    ),
    evidence=(
        Link(
            "Manage detailed monitoring for your EC2 instances",
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-detailed-monitoring.html",
        ),
    ),
    well_architected=(PERF02_BP03,),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CA-7",
        "soc2_tsc": "A1.1",
        "checkov": "CKV_AWS_126",
        "aws-config": "ec2-instance-detailed-monitoring-enabled",
    },
    tags=("ec2", "monitoring", "cloudwatch"),
)
def ec2_detailed_monitoring_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags EC2 instances and launch templates without detailed monitoring: `monitoring`
    (`monitoring { enabled }` in a launch template; `Monitoring` /
    `LaunchTemplateData.Monitoring.Enabled` in CloudFormation) absent, which means off, or
    false; and launch configurations that switch it off (`enable_monitoring` /
    `InstanceMonitoring` false; there it is on by default). An instance launched from a
    launch template without a monitoring setting of its own inherits the template's and
    is left to the template's finding. Resources tagged as non-production (an
    `Environment`, `Env` or `Stage` tag of `dev`, `test`, `sandbox`, `qa`, `demo` or `poc`)
    are skipped; the rule option `non-production-environments` replaces that list.

    ## Why is this bad?
    Basic monitoring sends EC2 metrics in 5-minute periods. Scaling policies and alarms then
    react up to five minutes late and short CPU or network spikes are averaged away. Detailed
    monitoring publishes the same metrics every minute, which is what Auto Scaling groups
    and troubleshooting need.

    ## Fix safety
    Safe for instances and launch templates: detailed monitoring is switched on in place,
    without a restart (a launch template gets a new version, used by the next launches).
    Unsafe for launch configurations, which are immutable: the change creates a new launch
    configuration and the Auto Scaling group must move to it. Detailed monitoring is billed
    per metric, like custom CloudWatch metrics.
    """
    setting = _SETTINGS[resource.kind]
    if _non_production(resource, context):
        return
    parent, value = _walk(resource, setting.path)
    if value is None:
        if not setting.default and not _inherits(resource):
            yield _absent(resource, setting, parent)
        return
    if boolean(value) is False:
        yield Violation(
            f"{'.'.join(setting.path)} is false, so detailed monitoring is off and EC2 "
            "metrics arrive only every 5 minutes; set it to true",
            value.range,
            _fix(setting, replace_value(resource, value, True)),
        )


def _walk(resource: Resource, path: Sequence[str]) -> tuple[Entry | None, Node | None]:
    """The mapping entry that should hold the setting (None when it is missing too) and
    the setting's value (None when absent). A step that is not a mapping (an expression,
    an intrinsic) ends the walk: its value is returned, to be read as unknown."""
    mapping, parent = resource.body, None
    for depth, step in enumerate(path):
        entry = next(_entries(mapping, step), None)
        if entry is None:
            return (parent if depth == len(path) - 1 else None), None
        if depth == len(path) - 1 or not isinstance(entry.value, MappingNode):
            return parent, entry.value
        mapping, parent = entry.value, entry
    return parent, None


def _entries(mapping: MappingNode, key: str) -> Iterator[Entry]:
    """Entries named ``key``; for a Terraform ``dynamic "key"`` block, its ``content``."""
    for entry in mapping.entries:
        if entry.key == key:
            yield entry
        elif entry.is_block and entry.key == "dynamic" and entry.labels == (key,):
            content = entry.value.get("content") if isinstance(entry.value, MappingNode) else None
            if content is not None:
                yield content


def _absent(resource: Resource, setting: _Setting, parent: Entry | None) -> Violation:
    if setting.block and parent is None and resource.format is Format.TERRAFORM:
        edit = insert_value(resource, [setting.block], Block({setting.path[-1]: True}))
    else:
        edit = insert_value(resource, list(setting.path), True)
    return Violation(
        f"{'.'.join(setting.path)} is not set, so detailed monitoring is off and EC2 metrics "
        "arrive only every 5 minutes; set it to true",
        parent.key_range if parent is not None else resource.header_range,
        _fix(setting, edit),
    )


def _fix(setting: _Setting, edit: Edit) -> Fix:
    title = "Enable detailed monitoring"
    return Fix.safe(title, edit) if setting.in_place else Fix.unsafe(title, edit)


def _inherits(resource: Resource) -> bool:
    key = _FROM_TEMPLATE.get(resource.kind)
    return key is not None and resource.get(key) is not None


def _non_production(resource: Resource, context: Context) -> bool:
    configured = context.options.get("non-production-environments")
    names = configured if isinstance(configured, (list, tuple)) else NON_PRODUCTION
    wanted = {str(name).lower() for name in names}
    return any(value.lower() in wanted for value in _environment_tags(resource))


def _environment_tags(resource: Resource) -> Iterator[str]:
    """Literal values of environment tags: ``tags = { Environment = "dev" }`` or
    ``Tags: [{Key: Environment, Value: dev}]``."""
    entry = resource.get("tags" if resource.format is Format.TERRAFORM else "Tags")
    if entry is None:
        return
    if isinstance(entry.value, MappingNode):
        for tag in entry.value.entries:
            value = text(tag.value)
            if tag.key.lower() in ENVIRONMENT_TAGS and value is not None:
                yield value
    elif isinstance(entry.value, SequenceNode):
        for item in entry.value.items:
            if not isinstance(item, MappingNode):
                continue
            key, value = text(item.get("Key")), text(item.get("Value"))
            if key is not None and key.lower() in ENVIRONMENT_TAGS and value is not None:
                yield value
