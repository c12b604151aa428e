"""PERF009: AMI registered without ENA (enhanced networking) support."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import insert_value, replace_value
from iacperf.rules.model import Resource
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF04_BP02, PERF04_BP05

HVM = "hvm"
#: What the AWS provider registers when ``virtualization_type`` is absent.
DEFAULT_VIRTUALIZATION = "paravirtual"


@rule(
    code="PERF009",
    name="ami-without-ena",
    title="AMI registered without ENA (enhanced networking) support",
    severity=Severity.INFORMATION,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_ami",),
    evidence=(
        Link(
            "Enhanced networking on Amazon EC2 instances",
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/enhanced-networking.html",
        ),
    ),
    well_architected=(PERF04_BP02, PERF04_BP05),
    tags=("ec2", "ami", "ena", "network"),
)
def ami_without_ena(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags AMIs registered by `aws_ami` without ENA support: `ena_support` absent (the
    provider registers `false`) or false, including images registered as paravirtual
    (`virtualization_type` absent, the provider's default, or `paravirtual`), which
    cannot use ENA at all. `aws_ami_copy` and `aws_ami_from_instance` are not checked:
    they inherit the setting of their source.

    ## Why is this bad?
    Without the ENA flag, instances launched from the image cannot use enhanced
    networking: they are limited to the older, slower network interfaces, and cannot
    launch at all on current-generation (Nitro) instance types, which require ENA. The
    flag costs nothing.

    ## Fix safety
    Unsafe: `ena_support` can only be set when an image is registered, so the change
    registers a new AMI and deregisters the old one; set it only when the image's
    operating system has the ENA driver (Amazon Linux 2 and later, current Ubuntu, RHEL,
    SUSE and Windows AMIs do). For a paravirtual image the finding is advice only: ENA
    needs an HVM image, which is a rebuild, not a flag.

    ## Known limitations
    Catalog correction: `virtualization_type` defaults to `paravirtual` in the AWS
    provider, and ENA is supported for HVM images only (setting it on a paravirtual image
    can make its instances unreachable). So `ena_support = true` is offered only where
    `virtualization_type = "hvm"`; for a paravirtual image, explicit or by default, the
    finding advises an HVM image with ENA instead.
    """
    ena = resource.get("ena_support")
    enabled = boolean(ena) if ena is not None else False
    if enabled is not False:
        return  # ENA on, or not known
    virtualization = resource.get("virtualization_type")
    mode = text(virtualization) if virtualization is not None else DEFAULT_VIRTUALIZATION
    if mode is None:
        return  # not known
    if mode.lower() != HVM:
        where = virtualization.value.range if virtualization is not None else None
        yield Violation(
            f"AMI is registered as {mode}{'' if virtualization else ' (the default)'}, which "
            "cannot use ENA enhanced networking or run on current-generation instance types; "
            "register an HVM image with ena_support = true",
            where or resource.header_range,
            Fix.display_only("Rebuild as an HVM image with the ENA driver, then set ena_support"),
        )
        return
    if ena is None:
        yield Violation(
            "AMI has no ena_support, so it is registered without ENA and its instances "
            "cannot use enhanced networking; set ena_support = true",
            resource.header_range,
            Fix.unsafe("Enable ENA support", insert_value(resource, ["ena_support"], True)),
        )
        return
    yield Violation(
        "ena_support is false, so instances from this AMI cannot use enhanced networking; "
        "set it to true",
        ena.value.range,
        Fix.unsafe("Enable ENA support", replace_value(resource, ena.value, True)),
    )
