"""PERF003: Burstable (T) instance pinned to 'standard' CPU credits."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.compute._instance_types import BURSTABLE, TYPE_PATHS, split
from iacperf.rules.edits import Block, Edit, insert_value, replace_value
from iacperf.rules.model import Format, MappingNode, Resource
from iacperf.rules.records import record
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP02, PERF02_BP04

STANDARD = "standard"
UNLIMITED = "unlimited"
#: The one family that launches with standard credits when nothing says otherwise.
STANDARD_BY_DEFAULT = "t2"


@record
class _Keys:
    """Where one resource type keeps its credit specification."""

    parents: tuple[str, ...]  # mappings from the body down to the credit specification
    block: str
    credits: str


_KEYS = {
    "aws_instance": _Keys((), "credit_specification", "cpu_credits"),
    "aws_launch_template": _Keys((), "credit_specification", "cpu_credits"),
    "AWS::EC2::Instance": _Keys((), "CreditSpecification", "CPUCredits"),
    "AWS::EC2::LaunchTemplate": _Keys(("LaunchTemplateData",), "CreditSpecification", "CpuCredits"),
}

_FROM_TEMPLATE = {"aws_instance": "launch_template", "AWS::EC2::Instance": "LaunchTemplate"}


@rule(
    code="PERF003",
    name="burstable-standard-credits",
    title="Burstable (T) instance pinned to 'standard' CPU credits",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_instance", "aws_launch_template"),
    cloudformation=("AWS::EC2::Instance", "AWS::EC2::LaunchTemplate"),
    evidence=(
        Link(
            "Burstable performance instances",
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-performance-instances.html",
        ),
    ),
    well_architected=(PERF02_BP02, PERF02_BP04),
    compliance={"iso_27001_2022": "A.8.6", "soc2_tsc": "A1.1"},
    tags=("ec2", "compute", "burstable", "cpu-credits"),
)
def burstable_standard_credits(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags burstable instances (`t2`, `t3`, `t3a`, `t4g`) on instances and launch templates
    whose CPU credit option is `standard`: `credit_specification.cpu_credits` /
    `CreditSpecification.CPUCredits` (`LaunchTemplateData.CreditSpecification.CpuCredits`
    in launch templates) set to `standard`, or a `t2` type with no credit option, because
    T2 launches in standard mode by default (T3, T3a and T4g default to `unlimited`); a
    `t2` instance launched from a launch template takes the template's option instead.
    Only literal instance types are judged: with a type from a variable or parameter, or a
    launch template that leaves the type to whoever launches it, nothing is reported.

    ## Why is this bad?
    In standard mode an instance that has spent its earned CPU credits is throttled to its
    baseline (5% to 40% of a vCPU, depending on the size) until it earns new ones: under
    sustained load the application slows down sharply and without warning. Unlimited mode
    lets it burst for as long as needed.

    ## Fix safety
    Unsafe. The fix sets the credit option to `unlimited` (adding the credit specification
    to a `t2` that has none); the change is applied in place, without a restart, but CPU use
    above the baseline averaged over 24 hours is then billed as surplus credits. Keep
    `standard` deliberately for cost-capped development hosts (suppress the finding with a
    reason), or move a constantly busy host to a fixed-performance family.

    ## Known limitations
    The account-level default credit specification (set per family and Region with
    `modify-default-credit-specification`) is not visible in the template; a T2 launched
    without a credit option is assumed to use the AWS default, `standard`. Catalog
    correction: the catalog's CloudFormation condition names only an explicit `standard`,
    but the T2 default applies there too, so a `t2` instance or launch template without a
    credit option is flagged in both formats.
    """
    keys = _KEYS[resource.kind]
    found = next(resource.find(TYPE_PATHS[resource.kind]), None)
    instance_type = text(found.value) if found is not None else None
    parts = split(instance_type) if instance_type is not None else None
    if parts is None or parts[0] not in BURSTABLE:
        return  # not burstable, or the type is not known
    spec_path = ".".join((*keys.parents, keys.block))
    specs = list(resource.find(spec_path))
    settings = list(resource.find(f"{spec_path}.{keys.credits}"))
    for setting in settings:
        value = text(setting.value)
        if value is not None and value.lower() == STANDARD:
            yield Violation(
                f"Burstable instance type {instance_type} uses standard CPU credits: once its "
                f"credits are spent it is throttled to its baseline; set {keys.credits} to "
                f"{UNLIMITED}",
                setting.value.range,
                _fix(replace_value(resource, setting.value, UNLIMITED)),
            )
    if settings or parts[0] != STANDARD_BY_DEFAULT or _from_template(resource):
        return
    if any(not isinstance(spec.value, MappingNode) for spec in specs):
        return  # the specification is an expression or intrinsic: not known
    anchor = specs[0].entry.key_range if specs else resource.header_range
    yield Violation(
        f"Burstable instance type {instance_type} sets no CPU credit option, so it launches "
        f"with standard credits and is throttled to its baseline once they are spent; "
        f"set {keys.credits} to {UNLIMITED}",
        anchor,
        _fix(_insert(resource, keys, bool(specs))),
    )


def _from_template(resource: Resource) -> bool:
    """An instance launched from a launch template takes the template's credit option."""
    key = _FROM_TEMPLATE.get(resource.kind)
    return key is not None and resource.get(key) is not None


def _insert(resource: Resource, keys: _Keys, has_block: bool) -> Edit:
    if resource.format is Format.TERRAFORM and not has_block:
        return insert_value(resource, [keys.block], Block({keys.credits: UNLIMITED}))
    return insert_value(resource, [*keys.parents, keys.block, keys.credits], UNLIMITED)


def _fix(edit: Edit) -> Fix:
    return Fix.unsafe("Set CPU credits to unlimited", edit)
