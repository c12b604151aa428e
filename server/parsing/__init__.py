"""Which files iacperf reads, and parsing them into ``Template``s."""

from __future__ import annotations

from iacperf.rules.model import Format, Syntax, Template
from iacperf.server.parsing.cloudformation import parse_cloudformation
from iacperf.server.parsing.terraform import TerraformParse, parse_terraform
from iacperf.server.parsing.terraform_json import parse_terraform_json

TERRAFORM_SUFFIXES = (".tf", ".tfvars")
YAML_SUFFIXES = (".yaml", ".yml", ".template")
JSON_SUFFIXES = (".json",)


def detect(path: str) -> tuple[Format, Syntax] | None:
    """The format a path may hold, judged by its name; CloudFormation is confirmed later."""
    lower = path.lower()
    if lower.endswith((".tf.json", ".tfvars.json")):
        return Format.TERRAFORM, Syntax.JSON
    if lower.endswith(TERRAFORM_SUFFIXES):
        return Format.TERRAFORM, Syntax.HCL
    if lower.endswith(YAML_SUFFIXES):
        return Format.CLOUDFORMATION, Syntax.YAML
    if lower.endswith(JSON_SUFFIXES):
        return Format.CLOUDFORMATION, Syntax.JSON
    return None


def is_candidate(path: str) -> bool:
    return detect(path) is not None


def parse_text(
    path: str, text: str, previous: TerraformParse | None = None
) -> tuple[Template | None, TerraformParse | None]:
    """Parse one file's text. Returns (template or None if not IaC, Terraform block cache)."""
    kind = detect(path)
    if kind is None:
        return None, None
    fmt, syntax = kind
    if fmt is Format.TERRAFORM and syntax is Syntax.HCL:
        parse = parse_terraform(path, text, previous)
        return parse.template, parse
    if fmt is Format.TERRAFORM:
        return parse_terraform_json(path, text), None
    if syntax is Syntax.YAML and text.lstrip().startswith("{"):
        syntax = Syntax.JSON if path.lower().endswith(".template") else syntax
    return parse_cloudformation(path, text, syntax), None
