"""Exact 0-based ranges (line, code point) of the CloudFormation model, YAML and JSON.

Every expected number was counted by hand from the snippet; ``text_at`` double-checks
what a range covers. Non-CloudFormation YAML and JSON must give None, quietly.
"""

from __future__ import annotations

import logging
import warnings

import pytest

from iacperf.rules.model import (
    Entry,
    Format,
    IntrinsicNode,
    MappingNode,
    ScalarNode,
    SequenceNode,
    Syntax,
)
from iacperf.server.parsing import parse_text

from .support import R, parse, resource, text_at

NEWLINES = pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["lf", "crlf"])


def entry(mapping: MappingNode, key: str) -> Entry:
    found = mapping.get(key)
    assert found is not None, [e.key for e in mapping.entries]
    return found


YAML_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: Zürich – ☃
Parameters:
  Size:
    Type: Number
    Default: 100
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Data:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: !Ref Size
      VolumeType: gp2   # comment
      Tags:
        - Key: Name
          Value: "Zürich – ☃ 🚀"
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      MemorySize: !If [IsProd, 1024, 128]
      FunctionName: !Sub "${AWS::StackName}-fn"
      Environment: {Variables: {STAGE: prod, ICON: 😀}}
      Code:
        ZipFile: |
          def handler(event, context):
              return "☃"

      Timeout: 30
  NoProps:
    Type: AWS::SNS::Topic
"""


@NEWLINES
def test_yaml_resources_and_properties(nl: str) -> None:
    template = parse("template.yaml", YAML_TEMPLATE.replace("\n", nl))
    assert (template.format, template.syntax, template.newline) == (
        Format.CLOUDFORMATION,
        Syntax.YAML,
        nl,
    )
    assert [r.name for r in template.resources] == ["Data", "Fn", "NoProps"]
    data = resource(template, "Data")
    assert (data.kind, data.line_offset, data.address) == ("AWS::EC2::Volume", 0, "Data")
    assert data.range == R(9, 2, 17, 31)
    assert data.header_range == R(9, 2, 9, 6)
    assert data.body.range == R(12, 6, 17, 31) and data.body.indent == 6
    assert data.node.get("Type") is not None

    zone = entry(data.body, "AvailabilityZone")
    assert (zone.key_range, zone.range) == (R(12, 6, 12, 22), R(12, 6, 12, 34))
    assert isinstance(zone.value, ScalarNode) and zone.value.range == R(12, 24, 12, 34)
    assert (zone.value.value, zone.value.quote) == ("eu-west-1a", "")

    size = entry(data.body, "Size")
    assert isinstance(size.value, IntrinsicNode) and size.value.function == "Ref"
    assert size.value.range == R(13, 12, 13, 21)  # the tag is part of the intrinsic
    assert size.value.argument.range == R(13, 17, 13, 21)  # but not of its argument
    assert size.range == R(13, 6, 13, 21)

    volume_type = entry(data.body, "VolumeType")
    assert volume_type.range == R(14, 6, 14, 21)  # no trailing blanks or comment
    assert volume_type.value.range == R(14, 18, 14, 21)

    tags = entry(data.body, "Tags")
    assert isinstance(tags.value, SequenceNode) and not tags.value.flow
    assert tags.value.range == R(16, 8, 17, 31)
    (tag,) = tags.value.items
    assert isinstance(tag, MappingNode) and tag.range == R(16, 10, 17, 31)
    key = entry(tag, "Key")
    assert (key.key_range, key.value.range) == (R(16, 10, 16, 13), R(16, 15, 16, 19))
    value = entry(tag, "Value")
    assert value.value.range == R(17, 17, 17, 31)
    assert isinstance(value.value, ScalarNode) and value.value.value == "Zürich – ☃ 🚀"
    assert value.value.quote == '"'

    fn = resource(template, "Fn")
    assert fn.range == R(18, 2, 30, 17)
    role = entry(fn.body, "Role")
    assert isinstance(role.value, IntrinsicNode) and role.value.function == "Fn::GetAtt"
    assert role.value.range == R(21, 12, 21, 28)
    assert role.value.argument.range == R(21, 20, 21, 28)

    memory = entry(fn.body, "MemorySize")
    assert isinstance(memory.value, IntrinsicNode) and memory.value.function == "Fn::If"
    assert memory.value.range == R(22, 18, 22, 41)
    arguments = memory.value.argument
    assert isinstance(arguments, SequenceNode) and arguments.flow
    assert arguments.range == R(22, 22, 22, 41)
    assert [item.range for item in arguments.items] == [
        R(22, 23, 22, 29),
        R(22, 31, 22, 35),
        R(22, 37, 22, 40),
    ]
    assert [getattr(item, "value", None) for item in arguments.items] == ["IsProd", 1024, 128]

    name = entry(fn.body, "FunctionName")
    assert isinstance(name.value, IntrinsicNode) and name.value.function == "Fn::Sub"
    assert name.value.range == R(23, 20, 23, 47)
    assert name.value.argument.range == R(23, 25, 23, 47)
    assert isinstance(name.value.argument, ScalarNode)
    assert name.value.argument.value == "${AWS::StackName}-fn"

    environment = entry(fn.body, "Environment")
    flow = environment.value
    assert isinstance(flow, MappingNode) and flow.flow
    assert flow.range == R(24, 19, 24, 54)
    assert (flow.open_range, flow.close_range) == (R(24, 19, 24, 20), R(24, 53, 24, 54))
    variables = entry(flow, "Variables")
    assert variables.key_range == R(24, 20, 24, 29)
    inner = variables.value
    assert isinstance(inner, MappingNode) and inner.range == R(24, 31, 24, 53)
    assert (inner.open_range, inner.close_range) == (R(24, 31, 24, 32), R(24, 52, 24, 53))
    stage = entry(inner, "STAGE")
    assert (stage.key_range, stage.value.range) == (R(24, 32, 24, 37), R(24, 39, 24, 43))
    icon = entry(inner, "ICON")
    assert (icon.key_range, icon.value.range) == (R(24, 45, 24, 49), R(24, 51, 24, 52))

    code = entry(fn.body, "Code")
    assert isinstance(code.value, MappingNode)
    zip_file = entry(code.value, "ZipFile")
    # A block scalar ends on its last text line, not on the blank line after it.
    assert zip_file.value.range == R(26, 17, 28, 24)
    assert isinstance(zip_file.value, ScalarNode)
    assert zip_file.value.value == 'def handler(event, context):\n    return "☃"\n'
    timeout = entry(fn.body, "Timeout")
    assert (timeout.key_range, timeout.value.range) == (R(30, 6, 30, 13), R(30, 15, 30, 17))

    # No Properties: an empty body at the end of the resource, where one would be added.
    bare = resource(template, "NoProps")
    assert bare.range == R(31, 2, 32, 25)
    assert bare.body.entries == () and bare.body.range == R(32, 25, 32, 25)

    (parameter,) = template.variables
    assert parameter.name == "Size" and parameter.range == R(3, 2, 5, 16)
    assert parameter.default is not None and parameter.default.value.range == R(5, 13, 5, 16)


SHORT_FORMS = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  R:
    Type: AWS::Lambda::Function
    Properties:
      A: !Ref
      B: !If
        - C
        - x
      C: !Sub
        "x"
      D: !Join ["", [a]]
      E: !Sub |
        hello ${X}
      G: !GetAtt {a: b}
      H: !!str 5
      I: !Ref   z # c
      J: !Select [0, !GetAZs ""]
"""


@pytest.mark.parametrize("brk", ["\r", "\x85", "\u2028", "\u2029"], ids=repr)
@NEWLINES
def test_yaml_only_line_breaks_leave_positions_where_the_model_counts_them(
    brk: str, nl: str
) -> None:
    """libyaml ends lines at a lone CR, NEL, LS and PS; the model and editors at "\\n"."""
    text = YAML_TEMPLATE.replace("Zürich – ☃\n", f"Zürich {brk} ☃\n").replace("\n", nl)
    template = parse("template.yaml", text)
    data = resource(template, "Data")
    size = entry(data.body, "VolumeType").value
    assert text_at(text, data.absolute(size.range)) == "gp2"


def test_yaml_short_form_intrinsics() -> None:
    r = resource(parse("template.yaml", SHORT_FORMS), "R")

    def intrinsic(key: str) -> IntrinsicNode:
        node = entry(r.body, key).value
        assert isinstance(node, IntrinsicNode)
        return node

    empty = intrinsic("A")
    assert (empty.function, empty.range, empty.argument.range) == (
        "Ref",
        R(5, 9, 5, 13),
        R(5, 13, 5, 13),
    )
    block_list = intrinsic("B")
    assert block_list.function == "Fn::If" and block_list.range == R(6, 9, 8, 11)
    assert isinstance(block_list.argument, SequenceNode)
    assert block_list.argument.range == R(7, 8, 8, 11)  # starts at the first "-"
    next_line = intrinsic("C")
    assert next_line.range == R(9, 9, 10, 11) and next_line.argument.range == R(10, 8, 10, 11)
    join = intrinsic("D")
    assert join.function == "Fn::Join" and join.argument.range == R(11, 15, 11, 24)
    block = intrinsic("E")
    assert block.range == R(12, 9, 13, 18) and block.argument.range == R(12, 14, 13, 18)
    get_att = intrinsic("G")
    assert isinstance(get_att.argument, MappingNode)
    assert get_att.argument.range == R(14, 17, 14, 23)
    assert get_att.argument.open_range == R(14, 17, 14, 18)
    # A standard tag is no intrinsic; the value starts after it.
    plain = entry(r.body, "H").value
    assert isinstance(plain, ScalarNode) and plain.range == R(15, 15, 15, 16)
    spaced = intrinsic("I")
    assert spaced.range == R(16, 9, 16, 17) and spaced.argument.range == R(16, 16, 16, 17)
    select = intrinsic("J")
    assert isinstance(select.argument, SequenceNode)
    nested = select.argument.items[1]
    assert isinstance(nested, IntrinsicNode) and nested.function == "Fn::GetAZs"
    assert nested.range == R(17, 21, 17, 31) and nested.argument.range == R(17, 29, 17, 31)
    assert text_at(SHORT_FORMS, nested.range) == '!GetAZs ""'


JSON_TEMPLATE = """\
{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "MemorySize": {"Fn::If": ["IsProd", 1024, 128]},
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Description": "Zürich – ☃ 😀",
\t\t\t\t"Timeout": 30,
        "Layers": [
          {"Ref": "Layer"},
          "arn:aws:lambda:us-east-1:123456789012:layer:x:1"
        ]
      }
    }
  }
}
"""


@NEWLINES
def test_json_long_form_intrinsics_tabs_and_non_ascii(nl: str) -> None:
    template = parse("template.json", JSON_TEMPLATE.replace("\n", nl))
    assert (template.format, template.syntax) == (Format.CLOUDFORMATION, Syntax.JSON)
    fn = resource(template, "Fn")
    assert fn.range == R(3, 4, 15, 5) and fn.header_range == R(3, 4, 3, 8)
    body = fn.body
    assert body.range == R(5, 20, 14, 7)
    assert (body.open_range, body.close_range) == (R(5, 20, 5, 21), R(14, 6, 14, 7))

    memory = entry(body, "MemorySize")
    assert memory.key_range == R(6, 8, 6, 20) and memory.range == R(6, 8, 6, 55)
    assert isinstance(memory.value, IntrinsicNode) and memory.value.function == "Fn::If"
    assert memory.value.range == R(6, 22, 6, 55)
    arguments = memory.value.argument
    assert isinstance(arguments, SequenceNode) and arguments.range == R(6, 33, 6, 54)
    assert [item.range for item in arguments.items] == [
        R(6, 34, 6, 42),
        R(6, 44, 6, 48),
        R(6, 50, 6, 53),
    ]
    role = entry(body, "Role")
    assert isinstance(role.value, IntrinsicNode) and role.value.function == "Fn::GetAtt"
    assert role.value.range == R(7, 16, 7, 47)
    assert isinstance(role.value.argument, SequenceNode)
    assert [i.range for i in role.value.argument.items] == [R(7, 32, 7, 38), R(7, 40, 7, 45)]

    description = entry(body, "Description")
    assert description.value.range == R(8, 23, 8, 37)
    assert isinstance(description.value, ScalarNode)
    assert description.value.value == "Zürich – ☃ 😀"

    timeout = entry(body, "Timeout")
    assert (timeout.key_range, timeout.value.range) == (R(9, 4, 9, 13), R(9, 15, 9, 17))

    layers = entry(body, "Layers")
    assert isinstance(layers.value, SequenceNode) and layers.value.range == R(10, 18, 13, 9)
    ref, arn = layers.value.items
    assert isinstance(ref, IntrinsicNode) and ref.function == "Ref"
    assert ref.range == R(11, 10, 11, 26) and ref.argument.range == R(11, 18, 11, 25)
    assert isinstance(arn, ScalarNode) and arn.range == R(12, 10, 12, 59)


SAM_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    MemorySize: 512
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src/
      Architectures: [x86_64]
      Events:
        Get:
          Type: Api
          Properties: {Path: /, Method: get}
"""


def test_sam_template() -> None:
    # No AWSTemplateFormatVersion: the AWS:: resource type makes it a template.
    template = parse("template.yml", SAM_TEMPLATE)
    assert [(r.name, r.kind) for r in template.resources] == [("Api", "AWS::Serverless::Function")]
    api = template.resources[0]
    assert api.range == R(6, 2, 15, 44) and api.header_range == R(6, 2, 6, 5)
    architectures = entry(api.body, "Architectures")
    assert isinstance(architectures.value, SequenceNode) and architectures.value.flow
    assert architectures.value.range == R(11, 21, 11, 29)
    (item,) = architectures.value.items
    assert item.range == R(11, 22, 11, 28)
    (method,) = api.find("Events.Get.Properties.Method")
    assert method.value.range == R(15, 40, 15, 43)
    assert template.root is not None
    globals_entry = entry(template.root, "Globals")
    assert globals_entry.range == R(1, 0, 4, 19)


def test_yaml_syntax_error_has_a_position() -> None:
    text = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  T:\n    Type: [AWS::SNS::Topic\n'
    template, _ = parse_text("template.yaml", text)
    assert template is not None and template.resources == ()
    (error,) = template.errors
    assert error.message.startswith("YAML syntax error")
    assert error.range == R(4, 0, 4, 0)


def test_json_syntax_error_has_a_position() -> None:
    text = '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {,}\n}\n'
    template, _ = parse_text("template.json", text)
    assert template is not None and template.resources == ()
    (error,) = template.errors
    assert error.range == R(2, 16, 2, 16)


def test_json_strings_with_and_without_escapes() -> None:
    # Strings without a backslash are read as the text between their quotes; the rest are
    # decoded. Ranges cover the escapes as written.
    text = (
        '{"Resources": {"T\\u00e9": {"Type": "AWS::SNS::Topic",'
        ' "Properties": {"TopicName": "a\\"b\\\\c\\n", "DisplayName": "plain \'q\'"}}}}'
    )
    template = parse("template.json", text)
    (topic,) = template.resources
    assert topic.name == "T\u00e9"
    name = topic.get("TopicName")
    display = topic.get("DisplayName")
    assert name is not None and display is not None
    assert isinstance(name.value, ScalarNode) and isinstance(display.value, ScalarNode)
    assert name.value.value == 'a"b\\c\n'
    assert display.value.value == "plain 'q'"
    assert text_at(text, topic.absolute(name.value.range)) == '"a\\"b\\\\c\\n"'


KUBERNETES = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
"""

KUBERNETES_EMBEDDING_A_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
data:
  template.yaml: |
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      T:
        Type: AWS::SNS::Topic
---
apiVersion: v1
kind: Service
metadata:
  name: web
"""

PACKAGE_JSON = """\
{
  "name": "web",
  "version": "1.0.0",
  "scripts": {"deploy": "aws cloudformation deploy --template-file template.yaml"},
  "dependencies": {"aws-cdk-lib": "^2.0.0"}
}
"""

WORKFLOW = """\
name: ci
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: grep -q AWSTemplateFormatVersion template.yaml && sam deploy
"""


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("deployment.yaml", KUBERNETES),
        ("configmap.yaml", KUBERNETES_EMBEDDING_A_TEMPLATE),
        ("package.json", PACKAGE_JSON),
        (".github/workflows/ci.yml", WORKFLOW),
        ("list.json", '["AWSTemplateFormatVersion"]\n'),
        ("empty.yaml", ""),
        ("broken.yaml", "a: [\n"),
        ("broken.json", '{"a": \n'),
    ],
    ids=lambda value: value if "\n" not in value else "",
)
def test_other_yaml_and_json_give_none_quietly(
    path: str, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_text(path, text) == (None, None)
    assert not caplog.records
