"""Incremental CloudFormation parsing: an edit re-parses only the resource it touches,
and the result reads exactly like a parse of the whole new text."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacperf.rules.model import (
    Entry,
    IntrinsicNode,
    MappingNode,
    Node,
    Position,
    Resource,
    SequenceNode,
    SourceRange,
    Syntax,
    Template,
)
from iacperf.server.engine import Finding, lint
from iacperf.server.fixes import apply_edits
from iacperf.server.parsing import parse_text
from iacperf.server.parsing.cfn_chunks import split_yaml
from iacperf.server.parsing.cloudformation import CloudFormationParse, parse_cloudformation
from iacperf.server.suppressions import suppression_edit

FIXTURES = Path(__file__).parent.parent / "rules" / "fixtures"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "cloudformation"
LARGEST_YAML = (
    CORPUS / "aws-waf-security-automations/deployment/aws-waf-security-automations.template"
)
LARGE_YAML = CORPUS / "aws-cf-templates/jenkins/jenkins2-ha-agents.yaml"
# The whole document indented by two blanks.
INDENTED_YAML = CORPUS / "cfn-lint/test/fixtures/templates/quickstart/cis_benchmark.yaml"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Size:
    Type: Number
    Default: 100
Resources:
  # the data volume
  Data:
    Type: AWS::EC2::Volume
    Properties:
      VolumeType: gp2
      Size: !Ref Size

  Logs:
    Type: AWS::EC2::Volume
    Properties:
      VolumeType: gp2
      Size: 20
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
Outputs:
  Id:
    Value: !Ref Data
"""


# -- helpers ---------------------------------------------------------------------------


def _absolute(node: Node, offset: int) -> object:
    """A node as plain data with absolute ranges, to compare two parses."""
    where = _range(node.range, offset)
    if isinstance(node, MappingNode):
        entries = tuple(_entry(e, offset) for e in node.entries)
        return ("map", where, entries, node.flow, node.indent)
    if isinstance(node, SequenceNode):
        return ("seq", where, tuple(_absolute(i, offset) for i in node.items), node.flow)
    if isinstance(node, IntrinsicNode):
        return ("fn", where, node.function, _absolute(node.argument, offset))
    return (type(node).__name__, where, getattr(node, "value", None), getattr(node, "quote", ""))


def _entry(entry: Entry, offset: int) -> object:
    key = _range(entry.key_range, offset)
    return (entry.key, key, _range(entry.range, offset), _absolute(entry.value, offset))


def _range(source_range: SourceRange, offset: int) -> tuple[int, int, int, int]:
    shifted = source_range.shifted(offset)
    return (shifted.start.line, shifted.start.character, shifted.end.line, shifted.end.character)


def _resource(resource: Resource) -> object:
    return (
        resource.name,
        resource.kind,
        resource.absolute(resource.range),
        resource.absolute(resource.header_range),
        _absolute(resource.node, resource.line_offset),
        _absolute(resource.body, resource.line_offset),
        resource.indent_unit,
        resource.newline,
    )


def _finding(finding: Finding) -> object:
    fix = finding.fix
    edits = () if fix is None else tuple((e.range, e.new_text) for e in fix.edits)
    title = None if fix is None else (fix.title, fix.applicability)
    return (
        finding.code,
        finding.range,
        finding.message,
        finding.resource,
        title,
        edits,
        finding.related,
    )


def _same(incremental: Template | None, whole: Template | None) -> None:
    """``incremental`` reads exactly like ``whole``: resources, absolute ranges, values,
    everything outside Resources, errors, suppressions and findings."""
    assert (incremental is None) == (whole is None)
    if incremental is None or whole is None:
        return
    assert [_resource(r) for r in incremental.resources] == [_resource(r) for r in whole.resources]
    assert incremental.variables == whole.variables
    assert incremental.errors == whole.errors
    assert incremental.suppressions == whole.suppressions
    assert (incremental.newline, incremental.indent_unit) == (whole.newline, whole.indent_unit)
    assert (incremental.root is None) == (whole.root is None)
    if incremental.root is None or whole.root is None:
        return
    outside = [_entry(e, 0) for e in incremental.root.entries if e.key != "Resources"]
    assert outside == [_entry(e, 0) for e in whole.root.entries if e.key != "Resources"]
    assert [_finding(f) for f in lint([incremental])] == [_finding(f) for f in lint([whole])]


def _parse(path: str, text: str, previous: CloudFormationParse | None) -> CloudFormationParse:
    template, parse = parse_text(path, text, previous)
    assert isinstance(parse, CloudFormationParse)
    assert parse.template is template
    return parse


def _open(path: str, text: str) -> CloudFormationParse:
    """An open document after its first keystroke: every chunk parsed once."""
    first = _parse(path, text, None)
    assert not first.chunked
    second = _parse(path, text, first)
    assert second.chunked, "expected the text to be cut into resource chunks"
    assert second.parsed_chunks == second.chunk_count
    _same(second.template, first.template)
    return second


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def _whole(path: str, text: str) -> Template | None:
    return parse_text(path, text)[0]


# -- YAML ------------------------------------------------------------------------------


def test_a_keystroke_in_one_resource_reparses_that_chunk_only() -> None:
    parse = _open("t.yaml", TEMPLATE)
    assert parse.chunk_count == 3
    text = _edit(TEMPLATE, "Size: 20", "Size: 25")
    after = _parse("t.yaml", text, parse)
    assert (after.chunked, after.parsed_chunks) == (True, 1)
    _same(after.template, _whole("t.yaml", text))
    # The untouched resources are the very same objects: the rule memo reuses findings
    # by resource identity.
    assert parse.template is not None and after.template is not None
    old, new = parse.template.resources, after.template.resources
    assert len(old) == len(new)
    assert [a is b for a, b in zip(old, new, strict=True)].count(False) == 1
    assert after.template is not None
    data, logs, fn = after.template.resources
    assert [r.line_offset for r in after.template.resources] == [6, 12, 18]
    # Untouched resources are the very same objects: rules may memoise them.
    assert data.node is parse.template.resources[0].node  # type: ignore[union-attr]
    assert logs.absolute(logs.header_range).start == Position(13, 2)
    size = logs.get("Size")
    assert size is not None and logs.absolute(size.value.range).start == Position(17, 12)


def test_lines_added_and_removed_shift_the_resources_below() -> None:
    parse = _open("t.yaml", TEMPLATE)
    grown = _edit(TEMPLATE, "      Size: !Ref Size\n", "      Size: !Ref Size\n      Iops: 3000\n")
    after = _parse("t.yaml", grown, parse)
    assert after.parsed_chunks == 1
    _same(after.template, _whole("t.yaml", grown))
    assert after.template is not None
    assert [r.line_offset for r in after.template.resources] == [6, 13, 19]
    shrunk = _edit(grown, "      Handler: index.handler\n", "")
    again = _parse("t.yaml", shrunk, after)
    assert again.parsed_chunks == 1
    _same(again.template, _whole("t.yaml", shrunk))


def test_adding_and_removing_a_resource() -> None:
    parse = _open("t.yaml", TEMPLATE)
    added = _edit(
        TEMPLATE,
        "Outputs:",
        "  More:\n    Type: AWS::EC2::Volume\n    Properties:\n      VolumeType: gp2\nOutputs:",
    )
    after = _parse("t.yaml", added, parse)
    assert (after.chunk_count, after.parsed_chunks) == (4, 1)
    _same(after.template, _whole("t.yaml", added))
    removed = _edit(
        TEMPLATE,
        "  Logs:\n    Type: AWS::EC2::Volume\n"
        "    Properties:\n      VolumeType: gp2\n      Size: 20\n",
        "",
    )
    again = _parse("t.yaml", removed, after)
    assert (again.chunk_count, again.parsed_chunks) == (2, 1)  # Data lost its blank line
    _same(again.template, _whole("t.yaml", removed))


def test_an_edit_outside_resources_reparses_the_rest_only() -> None:
    parse = _open("t.yaml", TEMPLATE)
    text = _edit(TEMPLATE, "Default: 100", "Default: 200")
    after = _parse("t.yaml", text, parse)
    assert (after.chunked, after.parsed_chunks) == (True, 0)
    _same(after.template, _whole("t.yaml", text))
    assert after.template is not None and after.template.variables[0].default is not None
    assert after.template.variables[0].default.value.value == 200  # type: ignore[attr-defined]


def test_a_broken_resource_costs_only_that_resource() -> None:
    parse = _open("t.yaml", TEMPLATE)
    text = _edit(TEMPLATE, "      Size: 20\n", "      Size: [20\n")
    after = _parse("t.yaml", text, parse)
    assert after.chunked and after.template is not None
    # A file read once says the same: the error costs Logs only.
    _same(after.template, _whole("t.yaml", text))
    assert [r.name for r in after.template.resources] == ["Data", "Fn"]
    (error,) = after.template.errors
    assert error.message.startswith("YAML syntax error")
    assert 13 <= error.range.start.line <= 18  # inside Logs, as an absolute line
    codes = {(f.code, f.resource) for f in lint([after.template])}
    assert ("PERF019", "Data") in codes and ("PERF019", "Logs") not in codes
    assert "PERF000" in {f.code for f in lint([after.template])}
    # Fixing it again re-parses that chunk and gives back the whole-file result.
    fixed = _parse("t.yaml", TEMPLATE, after)
    assert fixed.parsed_chunks == 0  # the old chunk text is still cached
    _same(fixed.template, _whole("t.yaml", TEMPLATE))


def test_a_broken_rest_falls_back_to_one_error_for_the_file() -> None:
    parse = _open("t.yaml", TEMPLATE)
    text = _edit(TEMPLATE, "    Default: 100", "    Default: [100")
    after = _parse("t.yaml", text, parse)
    assert not after.chunked
    whole = _whole("t.yaml", text)
    assert after.template == whole
    assert whole is not None and len(whole.errors) == 1 and not whole.resources


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("      Size: 20\n", "      Size: &twenty 20\n"),  # an anchor
        ("      Size: 20\n", "      Size: *twenty\n"),  # an alias (undefined: an error)
        ("AWSTemplate", "%YAML 1.1\n---\nAWSTemplate"),  # a directive
        ("      Size: 20\n", "\t  Size: 20\n"),  # a tab in indentation
        ("  Fn:\n", "  Data:\n"),  # a duplicate logical id
    ],
    ids=["anchor", "alias", "directive", "tab", "duplicate-id"],
)
def test_unsafe_text_falls_back_to_the_whole_document(old: str, new: str) -> None:
    parse = _open("t.yaml", TEMPLATE)
    text = _edit(TEMPLATE, old, new)
    after = _parse("t.yaml", text, parse)
    assert not after.chunked
    assert after.template == _whole("t.yaml", text)


def test_an_indented_document_is_cut_too() -> None:
    indented = "".join(f"  {line}" if line.strip() else line for line in TEMPLATE.splitlines(True))
    parse = _open("t.yaml", indented)
    assert parse.chunk_count == 3
    text = _edit(indented, "Size: 20", "Size: 25")
    after = _parse("t.yaml", text, parse)
    assert (after.chunked, after.parsed_chunks) == (True, 1)
    _same(after.template, _whole("t.yaml", text))


def test_flow_style_resources_fall_back() -> None:
    text = (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Resources: {Vol: {Type: AWS::EC2::Volume, Properties: {VolumeType: gp2}}}\n"
    )
    assert split_yaml(text) is None
    first = _parse("t.yaml", text, None)
    after = _parse("t.yaml", text, first)
    assert not after.chunked and after.template == _whole("t.yaml", text)


def test_a_chunk_that_fails_alone_while_the_whole_parses_falls_back() -> None:
    # A quoted scalar may continue on a less indented line: cut there, the piece is broken.
    text = _edit(TEMPLATE, "      Handler: index.handler\n", '      Handler: "index.\n  handler"\n')
    whole = _whole("t.yaml", text)
    assert whole is not None and not whole.errors
    after = _parse("t.yaml", text, _parse("t.yaml", TEMPLATE, None))
    assert not after.chunked
    assert after.template == whole


def test_suppressions_in_chunks_are_absolute() -> None:
    text = _edit(
        TEMPLATE,
        "  Logs:\n",
        "  # iacperf:ignore PERF019 -- legacy\n  Logs:\n"
        "    Metadata:\n      iacperf:\n        ignore: [PERF012]\n",
    )
    text = _edit(text, "Handler: index.handler", "Handler: '# iacperf:ignore PERF010'")
    parse = _open("t.yaml", text)
    assert parse.template is not None
    lines = sorted(s.line for s in parse.template.suppressions)
    assert lines == [13, 17]  # the comment, the Metadata item; not the quoted string
    edited = _edit(text, "Size: 20", "Size: 30")
    after = _parse("t.yaml", edited, parse)
    assert after.parsed_chunks == 1
    _same(after.template, _whole("t.yaml", edited))


def test_sam_globals_fixes_land_in_globals() -> None:
    text = (FIXTURES / "PERF010" / "bad.yaml").read_text(encoding="utf-8")
    parse = _open("bad.yaml", text)
    whole = _whole("bad.yaml", text)
    assert any(f.related for f in lint([whole])), "the fixture should use Globals"  # type: ignore[list-item]
    _same(parse.template, whole)


def test_non_cloudformation_yaml_gives_nothing() -> None:
    result = parse_cloudformation("k.yaml", "apiVersion: v1\nkind: ConfigMap\n", Syntax.YAML)
    assert result.template is None
    assert parse_text("k.yaml", "apiVersion: v1\nkind: ConfigMap\n") == (None, None)


def _yaml_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("PERF*/*.yaml") if "Resources:" in p.read_text("utf-8"))


@pytest.mark.parametrize("path", _yaml_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixtures_parse_alike_in_chunks(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parse = _open(path.name, text)
    if parse.template is None or not parse.template.resources:
        return
    # Touch the last line of the first resource: one chunk re-parsed, the same model.
    last = parse.template.resources[0]
    line = last.absolute(last.range).end.line
    lines = text.split("\n")
    lines[line] += "  # edited"
    edited = "\n".join(lines)
    after = _parse(path.name, edited, parse)
    assert after.parsed_chunks == 1
    _same(after.template, _whole(path.name, edited))


@pytest.mark.parametrize("path", [LARGEST_YAML, LARGE_YAML, INDENTED_YAML], ids=lambda p: p.name)
def test_large_corpus_templates(path: Path) -> None:
    if not path.is_file():
        pytest.skip("corpus not present")
    text = path.read_text(encoding="utf-8")
    parse = _open(path.name, text)
    assert parse.template is not None and parse.chunk_count > 20
    middle = parse.template.resources[len(parse.template.resources) // 2]
    header = middle.absolute(middle.header_range)
    lines = text.split("\n")
    # Type a comment after the logical id, then add a line in it.
    lines[header.start.line] += " # x"
    typed = "\n".join(lines)
    after = _parse(path.name, typed, parse)
    assert (after.chunked, after.parsed_chunks) == (True, 1)
    _same(after.template, _whole(path.name, typed))
    lines.insert(header.start.line + 1, "")
    grown = "\n".join(lines)
    again = _parse(path.name, grown, after)
    assert (again.chunked, again.parsed_chunks) == (True, 1)
    _same(again.template, _whole(path.name, grown))


# -- JSON ------------------------------------------------------------------------------

JSON_TEMPLATE = """\
{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {"Size": {"Type": "Number", "Default": 100}},
  "Resources": {
    "Data": {
      "Type": "AWS::EC2::Volume",
      "Properties": {"VolumeType": "gp2", "Size": {"Ref": "Size"}}
    },

    "Logs": {
      "Type": "AWS::EC2::Volume",
      "Metadata": {"Note": "a \\"quoted\\" } brace"},
      "Properties": {
        "VolumeType": "gp2",
        "Size": 20
      }
    }, "Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {"Runtime": "python3.12", "Handler": "index.handler"}
    }
  },
  "Outputs": {"Id": {"Value": {"Ref": "Data"}}}
}
"""


def test_json_a_keystroke_in_one_member_reparses_that_member_only() -> None:
    parse = _open("t.json", JSON_TEMPLATE)
    assert parse.chunk_count == 3
    text = _edit(JSON_TEMPLATE, '"Size": 20', '"Size": 25')
    after = _parse("t.json", text, parse)
    assert (after.chunked, after.parsed_chunks) == (True, 1)
    _same(after.template, _whole("t.json", text))
    assert after.template is not None and parse.template is not None
    data, logs, fn = after.template.resources
    assert [r.line_offset for r in after.template.resources] == [4, 9, 16]
    assert data.node is parse.template.resources[0].node
    assert logs.absolute(logs.header_range).start == Position(9, 4)
    assert fn.absolute(fn.header_range).start == Position(16, 7)  # after "}, " on its line
    size = logs.get("Size")
    assert size is not None and size.value.value == 25  # type: ignore[attr-defined]
    assert logs.absolute(size.value.range).start == Position(14, 16)
    section = after.template.root.get("Resources")  # type: ignore[union-attr]
    whole = _whole("t.json", text)
    assert whole is not None and whole.root is not None
    expected = whole.root.get("Resources")
    assert section is not None and expected is not None
    assert section.range == expected.range and section.key_range == expected.key_range
    assert isinstance(section.value, MappingNode) and isinstance(expected.value, MappingNode)
    assert (section.value.range, section.value.indent) == (
        expected.value.range,
        expected.value.indent,
    )
    assert section.value.open_range == expected.value.open_range
    assert section.value.close_range == expected.value.close_range


def test_json_a_keystroke_scans_only_its_member(monkeypatch: pytest.MonkeyPatch) -> None:
    from iacperf.server.parsing import cfn_chunks

    parse = _open("t.json", JSON_TEMPLATE)
    scans: list[int] = []
    whole_scan = cfn_chunks._json_members
    monkeypatch.setattr(cfn_chunks, "_json_members", lambda t: scans.append(1) or whole_scan(t))
    inside = _edit(JSON_TEMPLATE, '"Size": 20', '"Size": 2000')
    after = _parse("t.json", inside, parse)
    assert scans == [] and after.parsed_chunks == 1
    _same(after.template, _whole("t.json", inside))
    # A brace typed inside a member changes its shape: the whole text is scanned again.
    broken = _edit(inside, '"Size": 2000', '"Size": {2000')
    _parse("t.json", broken, after)
    assert scans == [1]


def test_json_lines_added_and_removed_shift_the_members_below() -> None:
    parse = _open("t.json", JSON_TEMPLATE)
    grown = _edit(JSON_TEMPLATE, '"VolumeType": "gp2",\n', '"VolumeType": "gp2",\n"Iops": 3000,\n')
    after = _parse("t.json", grown, parse)
    assert after.parsed_chunks == 1
    _same(after.template, _whole("t.json", grown))
    assert after.template is not None
    assert [r.line_offset for r in after.template.resources] == [4, 9, 17]
    shrunk = _edit(grown, "\n\n", "\n")  # the blank line between members: nothing parsed
    again = _parse("t.json", shrunk, after)
    assert (again.chunked, again.parsed_chunks) == (True, 0)
    _same(again.template, _whole("t.json", shrunk))
    assert again.template is not None
    assert [r.line_offset for r in again.template.resources] == [4, 8, 16]


def test_json_adding_and_removing_a_member() -> None:
    parse = _open("t.json", JSON_TEMPLATE)
    added = _edit(
        JSON_TEMPLATE,
        '    }\n  },\n  "Outputs"',
        '    },\n    "More": {"Type": "AWS::EC2::Volume", "Properties": {"VolumeType": "gp2"}}\n'
        '  },\n  "Outputs"',
    )
    after = _parse("t.json", added, parse)
    assert (after.chunked, after.chunk_count, after.parsed_chunks) == (True, 4, 1)
    _same(after.template, _whole("t.json", added))
    start = JSON_TEMPLATE.index('    "Logs"')
    end = JSON_TEMPLATE.index('"Fn"')
    removed = JSON_TEMPLATE[:start] + " " * 7 + JSON_TEMPLATE[end:]  # Fn keeps its column
    again = _parse("t.json", removed, after)
    assert (again.chunked, again.chunk_count, again.parsed_chunks) == (True, 2, 0)
    _same(again.template, _whole("t.json", removed))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    },\n\n", "    }\n\n"),  # a missing comma
        ("    },\n\n", "    },,\n\n"),  # a doubled comma
        ('"index.handler"}\n    }\n', '"index.handler"}\n    },\n'),  # a trailing comma
        ("    },\n\n", "    } ,\n\n"),  # only whitespace: still cut
    ],
    ids=["missing", "doubled", "trailing", "space"],
)
def test_json_separator_edits_give_the_whole_parse(old: str, new: str) -> None:
    parse = _open("t.json", JSON_TEMPLATE)
    text = _edit(JSON_TEMPLATE, old, new)
    after = _parse("t.json", text, parse)
    whole = _whole("t.json", text)
    if after.chunked:
        assert after.parsed_chunks == 0
        _same(after.template, whole)
    else:
        assert after.template == whole
        assert whole is not None and len(whole.errors) == 1 and not whole.resources
    assert after.chunked == (new == "    } ,\n\n")


def test_json_an_edit_outside_resources_reparses_the_rest_only() -> None:
    parse = _open("t.json", JSON_TEMPLATE)
    text = _edit(JSON_TEMPLATE, '"Default": 100', '"Default": 200')
    after = _parse("t.json", text, parse)
    assert (after.chunked, after.parsed_chunks) == (True, 0)
    _same(after.template, _whole("t.json", text))
    assert after.template is not None and after.template.variables[0].default is not None
    assert after.template.variables[0].default.value.value == 200  # type: ignore[attr-defined]


def test_json_a_broken_member_costs_only_that_member() -> None:
    parse = _open("t.json", JSON_TEMPLATE)
    text = _edit(JSON_TEMPLATE, '"Size": 20', '"Size": 20 "Iops": 3')
    after = _parse("t.json", text, parse)
    assert after.chunked and after.template is not None
    _same(after.template, _whole("t.json", text))  # a file read once says the same
    assert [r.name for r in after.template.resources] == ["Data", "Fn"]
    (error,) = after.template.errors
    assert error.message.startswith("JSON syntax error")
    assert error.range.start == Position(14, 19)  # at "Iops", as an absolute position
    codes = {(f.code, f.resource) for f in lint([after.template])}
    assert ("PERF019", "Data") in codes and ("PERF019", "Logs") not in codes
    fixed = _parse("t.json", JSON_TEMPLATE, after)
    assert fixed.parsed_chunks == 0
    _same(fixed.template, _whole("t.json", JSON_TEMPLATE))


def test_json_unbalanced_or_broken_rest_falls_back() -> None:
    parse = _open("t.json", JSON_TEMPLATE)
    for old, new in [
        ('"Size": 20', '"Size": [20'),  # the scanner cannot find the member's end
        ('"Default": 100', '"Default": [100'),  # the rest does not parse
        ('"Default": 100', '"Default": 100 x'),  # nor here
        ('"index.handler"', '"index.handler'),  # a string that does not close
    ]:
        text = _edit(JSON_TEMPLATE, old, new)
        after = _parse("t.json", text, parse)
        assert not after.chunked, new
        whole = _whole("t.json", text)
        assert after.template == whole
        assert whole is not None and len(whole.errors) == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"Fn": {', '"Data": {'),  # a duplicate logical id
        ('"Fn": {', '"Fn::If": {'),  # an intrinsic's key
        ('  "Outputs"', '  "Resources": {},\n  "Outputs"'),  # two Resources
        ('"Fn": {\n', '"Fn": "x", "Gn": {\n'),  # a member that is not an object
        ('\n    "Data"', '"Data"'),  # a member at column 0 after the brace: no room
    ],
    ids=["duplicate-id", "intrinsic", "two-sections", "scalar", "same-line"],
)
def test_json_odd_templates_fall_back_to_the_whole_document(old: str, new: str) -> None:
    parse = _open("t.json", JSON_TEMPLATE)
    text = _edit(JSON_TEMPLATE, old, new)
    after = _parse("t.json", text, parse)
    whole = _whole("t.json", text)
    if after.chunked:  # only "same-line" may still cut (the key is not at column 0)
        assert new == '"Data"'
        _same(after.template, whole)
    else:
        assert after.template == whole


def test_json_member_at_column_zero_falls_back() -> None:
    text = JSON_TEMPLATE.replace('\n    "Data"', '\n"Data"')
    whole = _whole("t.json", text)
    assert whole is not None and not whole.errors
    after = _parse("t.json", text, _parse("t.json", text, None))
    assert not after.chunked and after.template == whole


def test_json_suppressions_and_their_edit_are_absolute() -> None:
    text = _edit(
        JSON_TEMPLATE,
        '"Metadata": {"Note": "a \\"quoted\\" } brace"}',
        '"Metadata": {"iacperf": {"ignore": ["PERF012"]}}',
    )
    parse = _open("t.json", text)
    assert parse.template is not None
    (suppression,) = parse.template.suppressions
    assert suppression.line == 11 and suppression.resource == "Logs"
    edited = _edit(text, '"Size": 20', '"Size": 30')
    after = _parse("t.json", edited, parse)
    assert after.parsed_chunks == 1
    whole = _whole("t.json", edited)
    _same(after.template, whole)
    assert after.template is not None and whole is not None
    for index in range(3):
        chunked, full = after.template.resources[index], whole.resources[index]
        assert chunked.line_offset > 0 and full.line_offset == 0
        assert suppression_edit(
            chunked, "PERF019", "why", after.template.suppressions
        ) == suppression_edit(full, "PERF019", "why", whole.suppressions)
    logs = after.template.resources[1]
    edit = suppression_edit(logs, "PERF019", "", ())
    assert edit is not None and edit.range.start.line == 11  # in the file, not the member
    fixed = apply_edits(edited, [edit])
    assert '"ignore": ["PERF012", "PERF019"]' in fixed


def test_json_crlf_and_fixes_apply_alike() -> None:
    text = JSON_TEMPLATE.replace("\n", "\r\n")
    parse = _open("t.json", text)
    edited = _edit(text, '"Size": 20', '"Size": 21')
    after = _parse("t.json", edited, parse)
    assert after.parsed_chunks == 1
    whole = _whole("t.json", edited)
    _same(after.template, whole)
    assert after.template is not None and whole is not None
    fixes = [f.fix for f in lint([after.template]) if f.fix is not None]
    assert fixes, "gp2 volumes have a fix"
    edits = [e for fix in fixes for e in fix.edits]
    full = [e for f in lint([whole]) if f.fix is not None for e in f.fix.edits]
    assert apply_edits(edited, edits) == apply_edits(edited, full)
    assert apply_edits(edited, edits).count('"gp3"') == 2


def _json_fixtures() -> list[Path]:
    found = []
    for path in sorted(FIXTURES.glob("PERF*/*.json")):
        text = path.read_text("utf-8")
        if '"Resources"' in text and "AWS::" in text:
            found.append(path)
    return found


@pytest.mark.parametrize("path", _json_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_json_fixtures_parse_alike_in_chunks(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parse = _open(path.name, text)
    spanning = [
        r for r in (parse.template.resources if parse.template else ()) if r.range.end.line
    ]  # a blank line after a one-line member would fall between members
    if not spanning:
        return
    first = spanning[0]
    line = first.absolute(first.header_range).start.line
    lines = text.split("\n")
    lines.insert(line + 1, "")  # a blank line inside the first member
    edited = "\n".join(lines)
    after = _parse(path.name, edited, parse)
    assert after.parsed_chunks == 1
    _same(after.template, _whole(path.name, edited))


LARGE_JSON = [
    CORPUS / "cfn-lint/test/fixtures/templates/quickstart/vpc.json",
    CORPUS / "aws-solutions-constructs/source/use_cases/aws-restaurant-management-demo/test"
    "/integ.basic-deployment.js.snapshot/ManagerStack.template.json",
]


@pytest.mark.parametrize("path", LARGE_JSON, ids=lambda p: p.name)
def test_large_corpus_json_templates(path: Path) -> None:
    if not path.is_file():
        pytest.skip("corpus not present")
    text = path.read_text(encoding="utf-8")
    parse = _open(path.name, text)
    assert parse.template is not None and parse.chunk_count > 20
    middle = parse.template.resources[len(parse.template.resources) // 2]
    header = middle.absolute(middle.header_range)
    lines = text.split("\n")
    # Type a space after the logical id's colon, then add a line in the member.
    lines[header.start.line] = lines[header.start.line].replace(":", ":  ", 1)
    typed = "\n".join(lines)
    after = _parse(path.name, typed, parse)
    assert (after.chunked, after.parsed_chunks) == (True, 1)
    _same(after.template, _whole(path.name, typed))
    lines.insert(header.start.line + 1, "")
    grown = "\n".join(lines)
    again = _parse(path.name, grown, after)
    assert (again.chunked, again.parsed_chunks) == (True, 1)
    _same(again.template, _whole(path.name, grown))


def test_json_member_rescans_agree_with_whole_scans_on_random_edits() -> None:
    """Random insertions and deletions (braces, quotes, commas too) in every JSON fixture:
    cutting from the previous cut gives exactly what cutting from scratch gives."""
    import random

    from iacperf.server.parsing.cfn_chunks import split_json

    rng = random.Random(20240601)
    for path in _json_fixtures():
        text = path.read_text(encoding="utf-8")
        layout = split_json(text)
        for _ in range(60):
            at = rng.randrange(len(text))
            if rng.random() < 0.5 and at < len(text) - 1:
                edited = text[:at] + text[at + 1 :]
            else:
                edited = text[:at] + rng.choice('{}[],:" x1') + text[at:]
            again = split_json(edited, layout)
            fresh = split_json(edited)
            assert (again is None) == (fresh is None), path
            if again is not None and fresh is not None:
                assert (again.rest, again.chunks, again.spans) == (
                    fresh.rest,
                    fresh.chunks,
                    fresh.spans,
                ), path
            layout = fresh if fresh is not None else split_json(text)
            text = edited if fresh is not None else text
