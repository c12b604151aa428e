"""Which files iacperf reads, and parsing them into ``Template``s."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, TypeVar

from iacperf.rules.model import Format, Syntax, Template

if TYPE_CHECKING:
    from iacperf.server.parsing.cloudformation import CloudFormationParse
    from iacperf.server.parsing.terraform import ParsedChunk, TerraformParse

TERRAFORM_SUFFIXES = (".tf", ".tfvars")
YAML_SUFFIXES = (".yaml", ".yml", ".template")
JSON_SUFFIXES = (".json",)
BOM = "\ufeff"

#: What a parse keeps for the next parse of the same file (its chunk cache).
FileParse: TypeAlias = "TerraformParse | CloudFormationParse"


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
    path: str,
    text: str,
    previous: FileParse | None = None,
    *,
    editing: bool = False,
    shared: dict[str, ParsedChunk] | None = None,
) -> tuple[Template | None, FileParse | None]:
    """Parse one file's text. Returns (template or None if not IaC, the chunk cache the
    next parse of this file may start from). ``editing``: the file is open in an editor
    and more edits will follow. ``shared``: Terraform blocks parsed from other files of a
    scan, by text (see ``parse_terraform``)."""
    kind = detect(path)
    if kind is None:
        return None, None
    fmt, syntax = kind
    # Each parser is imported when first needed: a scan of one format never pays for the
    # other's (python-hcl2 and Lark, or PyYAML).
    if fmt is Format.TERRAFORM and syntax is Syntax.HCL:
        from iacperf.server.parsing.terraform import TerraformParse, parse_terraform

        if text.startswith(BOM):
            # Terraform ignores a byte order mark, python-hcl2 does not: a space in its
            # place keeps every column where it is. (The YAML and JSON readers skip it.)
            text = " " + text[1:]
        parse = parse_terraform(
            path, text, _only(previous, TerraformParse), editing=editing, shared=shared
        )
        return parse.template, parse
    if fmt is Format.TERRAFORM:
        from iacperf.server.parsing.terraform_json import parse_terraform_json

        return parse_terraform_json(path, text), None
    from iacperf.server.parsing.cloudformation import CloudFormationParse, parse_cloudformation

    if syntax is Syntax.YAML and text.lstrip().startswith("{"):
        syntax = Syntax.JSON if path.lower().endswith(".template") else syntax
    cfn = parse_cloudformation(path, text, syntax, _only(previous, CloudFormationParse))
    return cfn.template, (cfn if cfn.template is not None else None)


_P = TypeVar("_P", "TerraformParse", "CloudFormationParse")


def _only(previous: FileParse | None, kind: type[_P]) -> _P | None:
    return previous if isinstance(previous, kind) else None
