"""Exact 0-based ranges (line, code point) of the Terraform model, HCL and JSON syntax.

Ranges inside a Terraform resource are relative to its block's first line
(``Resource.line_offset``); ``Resource.absolute`` gives file positions. Every expected
number below was counted by hand from the snippet, and ``text_at`` double-checks what
it covers.
"""

from __future__ import annotations

import pytest

from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    Format,
    MappingNode,
    ScalarNode,
    SequenceNode,
    Syntax,
)

from .support import R, parse, resource, text_at

NEWLINES = pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["lf", "crlf"])


def entry(mapping: MappingNode, key: str) -> Entry:
    found = mapping.get(key)
    assert found is not None, [e.key for e in mapping.entries]
    return found


BASIC = """\
# Web tier
variable "size" {
  default = 20
}

# The web server
resource "aws_instance" "web" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "m5.large" # trailing comment
  tags = {
    Name = "Zürich – ☃"
    Team = "🚀 platform"
  }
  root_block_device {
    volume_size = var.size
    volume_type = "gp3"
  }
}
"""


@NEWLINES
def test_resource_header_body_and_attributes(nl: str) -> None:
    text = BASIC.replace("\n", nl)
    template = parse("main.tf", text)
    assert template.newline == nl
    web = resource(template, "web")
    assert (web.format, web.syntax, web.kind, web.address) == (
        Format.TERRAFORM,
        Syntax.HCL,
        "aws_instance",
        "aws_instance.web",
    )
    # The blank line and the comment above the block belong to its chunk.
    assert web.line_offset == 4
    assert web.range == R(2, 0, 13, 1)
    assert web.absolute(web.range) == R(6, 0, 17, 1)
    assert web.absolute(web.header_range) == R(6, 0, 6, 29)
    assert text_at(BASIC, web.absolute(web.header_range)) == 'resource "aws_instance" "web"'
    body = web.body
    assert body.open_range is not None and body.close_range is not None
    assert web.absolute(body.open_range) == R(6, 30, 6, 31)
    assert web.absolute(body.close_range) == R(17, 0, 17, 1)
    assert web.absolute(body.range) == R(6, 31, 17, 0)  # between the braces
    assert body.indent == 2 and not body.flow

    ami = entry(body, "ami")
    assert web.absolute(ami.key_range) == R(7, 2, 7, 5)
    assert web.absolute(ami.range) == R(7, 2, 7, 41)
    assert isinstance(ami.value, ScalarNode)
    assert web.absolute(ami.value.range) == R(7, 18, 7, 41)
    assert (ami.value.value, ami.value.quote) == ("ami-0123456789abcdef0", '"')

    instance_type = entry(body, "instance_type")
    assert web.absolute(instance_type.key_range) == R(8, 2, 8, 15)
    assert web.absolute(instance_type.range) == R(8, 2, 8, 28)  # the comment is not in it
    assert web.absolute(instance_type.value.range) == R(8, 18, 8, 28)

    tags = entry(body, "tags")
    assert web.absolute(tags.range) == R(9, 2, 12, 3)
    assert isinstance(tags.value, MappingNode) and tags.value.flow
    assert web.absolute(tags.value.range) == R(9, 9, 12, 3)
    assert tags.value.open_range is not None and tags.value.close_range is not None
    assert web.absolute(tags.value.open_range) == R(9, 9, 9, 10)
    assert web.absolute(tags.value.close_range) == R(12, 2, 12, 3)
    name = entry(tags.value, "Name")
    assert web.absolute(name.key_range) == R(10, 4, 10, 8)
    assert web.absolute(name.value.range) == R(10, 11, 10, 23)
    assert isinstance(name.value, ScalarNode) and name.value.value == "Zürich – ☃"
    team = entry(tags.value, "Team")
    assert web.absolute(team.value.range) == R(11, 11, 11, 23)
    assert text_at(BASIC, web.absolute(team.value.range)) == '"🚀 platform"'

    device = entry(body, "root_block_device")
    assert device.is_block and device.labels == ()
    assert web.absolute(device.key_range) == R(13, 2, 13, 19)
    assert web.absolute(device.range) == R(13, 2, 16, 3)
    assert isinstance(device.value, MappingNode)
    assert device.value.open_range is not None
    assert web.absolute(device.value.open_range) == R(13, 20, 13, 21)
    size = entry(device.value, "volume_size")
    assert web.absolute(size.key_range) == R(14, 4, 14, 15)
    assert isinstance(size.value, ExpressionNode) and not size.value.known
    assert web.absolute(size.value.range) == R(14, 18, 14, 26)
    assert (size.value.text, size.value.references) == ("var.size", ("var.size",))
    volume_type = entry(device.value, "volume_type")
    assert web.absolute(volume_type.value.range) == R(15, 18, 15, 23)

    variable = template.variables[0]
    assert variable.name == "size" and variable.line_offset == 0
    assert variable.default is not None and variable.default.key_range == R(2, 2, 2, 9)


HEREDOCS = """\
resource "aws_instance" "web" {
  user_data = <<EOF
#!/bin/bash
echo "hello {"
EOF
  description = <<-EOT
    indented ${var.name}
      more
    EOT
  script = <<-EOT
    a
      b
    EOT
  tags = { Name = "after" }
}
"""


@NEWLINES
def test_heredocs(nl: str) -> None:
    text = HEREDOCS.replace("\n", nl)
    web = resource(parse("main.tf", text), "web")
    assert web.line_offset == 0

    user_data = entry(web.body, "user_data")
    assert user_data.key_range == R(1, 2, 1, 11)
    assert user_data.range == R(1, 2, 4, 3)
    assert isinstance(user_data.value, ScalarNode)
    assert user_data.value.range == R(1, 14, 4, 3)  # ends on the closing marker
    assert user_data.value.value == '#!/bin/bash\necho "hello {"\n'
    assert user_data.value.quote == "<<"

    description = entry(web.body, "description")
    assert isinstance(description.value, ExpressionNode)
    assert description.value.range == R(5, 16, 8, 7)
    assert text_at(HEREDOCS, description.value.range).startswith("<<-EOT")
    assert "var.name" in description.value.references

    script = entry(web.body, "script")
    assert isinstance(script.value, ScalarNode)
    assert script.value.range == R(9, 11, 12, 7)
    assert script.value.value == "a\n  b\n"  # <<- removes the common indentation

    # Nothing after the heredocs moved.
    tags = entry(web.body, "tags")
    assert isinstance(tags.value, MappingNode)
    assert tags.value.range == R(13, 9, 13, 27)
    name = entry(tags.value, "Name")
    assert (name.key_range, name.value.range) == (R(13, 11, 13, 15), R(13, 18, 13, 25))


def test_heredoc_marker_with_trailing_blanks() -> None:
    # Terraform accepts blanks after the closing marker; python-hcl2 alone does not.
    text = 'resource "aws_iam_policy" "p" {\n  policy = <<POLICY\n{}\nPOLICY  \n  name = "p"\n}\n'
    policy = resource(parse("main.tf", text), "p")
    document = entry(policy.body, "policy")
    assert isinstance(document.value, ScalarNode)
    assert document.value.range == R(1, 11, 3, 6)
    assert document.value.value == "{}\n"
    assert entry(policy.body, "name").value.range == R(4, 9, 4, 12)


LISTS_AND_OBJECTS = """\
resource "aws_security_group" "web" {
  ingress_cidrs = [
    "10.0.0.0/8",
    var.extra_cidr,
  ]
  tags = merge(var.tags, {
    Name = "web"
  })
  settings = {
    nested = {
      depth = 2
    }
  }
}
"""


def test_multiline_lists_and_objects() -> None:
    web = resource(parse("main.tf", LISTS_AND_OBJECTS), "web")
    cidrs = entry(web.body, "ingress_cidrs")
    assert cidrs.range == R(1, 2, 4, 3)
    assert isinstance(cidrs.value, SequenceNode) and cidrs.value.range == R(1, 18, 4, 3)
    first, second = cidrs.value.items
    assert isinstance(first, ScalarNode) and first.range == R(2, 4, 2, 16)
    assert first.value == "10.0.0.0/8"
    assert isinstance(second, ExpressionNode) and second.range == R(3, 4, 3, 18)
    assert second.references == ("var.extra_cidr",)
    assert not cidrs.value.known

    tags = entry(web.body, "tags")
    assert isinstance(tags.value, ExpressionNode)
    assert tags.value.range == R(5, 9, 7, 4)
    assert tags.value.text == 'merge(var.tags, {\n    Name = "web"\n  })'
    assert "var.tags" in tags.value.references

    settings = entry(web.body, "settings")
    assert isinstance(settings.value, MappingNode)
    assert settings.value.range == R(8, 13, 12, 3)
    nested = entry(settings.value, "nested")
    assert nested.key_range == R(9, 4, 9, 10)
    assert isinstance(nested.value, MappingNode) and nested.value.range == R(9, 13, 11, 5)
    (match,) = web.find("settings.nested.depth")
    assert match.entry.key_range == R(10, 6, 10, 11)
    assert isinstance(match.value, ScalarNode) and match.value.range == R(10, 14, 10, 15)
    assert match.value.value == 2


NESTED_AND_DYNAMIC = """\
resource "aws_launch_template" "app" {
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_type = "gp2"
    }
  }
  dynamic "block_device_mappings" {
    for_each = var.disks
    content {
      device_name = block_device_mappings.value.name
      ebs {
        volume_type = "gp2"
      }
    }
  }
}
"""


def test_nested_and_dynamic_blocks() -> None:
    app = resource(parse("main.tf", NESTED_AND_DYNAMIC), "app")
    mappings = entry(app.body, "block_device_mappings")
    assert mappings.is_block and mappings.range == R(1, 2, 6, 3)
    assert isinstance(mappings.value, MappingNode)
    ebs = entry(mappings.value, "ebs")
    assert ebs.is_block and ebs.key_range == R(3, 4, 3, 7) and ebs.range == R(3, 4, 5, 5)

    dynamic = entry(app.body, "dynamic")
    assert dynamic.is_block and dynamic.labels == ("block_device_mappings",)
    assert dynamic.key_range == R(7, 2, 7, 33)  # the block type and its label
    assert dynamic.range == R(7, 2, 15, 3)
    assert isinstance(dynamic.value, MappingNode)
    for_each = entry(dynamic.value, "for_each")
    assert for_each.value.range == R(8, 15, 8, 24)
    content = entry(dynamic.value, "content")
    assert content.is_block and content.key_range == R(9, 4, 9, 11)
    assert isinstance(content.value, MappingNode)
    assert not entry(content.value, "device_name").value.known

    # find() walks plain nested blocks and dynamic blocks' content alike.
    matches = list(app.find("block_device_mappings.ebs.volume_type"))
    assert [m.value.range for m in matches] == [R(4, 20, 4, 25), R(12, 22, 12, 27)]
    assert [m.entry.key_range for m in matches] == [R(4, 6, 4, 17), R(12, 8, 12, 19)]


def test_tabs() -> None:
    text = (
        'resource "aws_instance" "tabbed" {\n'
        '\tinstance_type\t= "m5.large"\n'
        "\ttags = {\n"
        '\t\tName\t= "x"\n'
        "\t}\n"
        "}\n"
    )
    tabbed = resource(parse("main.tf", text), "tabbed")
    instance_type = entry(tabbed.body, "instance_type")
    assert instance_type.key_range == R(1, 1, 1, 14)
    assert instance_type.value.range == R(1, 17, 1, 27)
    assert tabbed.body.indent == 1
    tags = entry(tabbed.body, "tags")
    assert isinstance(tags.value, MappingNode)
    name = entry(tags.value, "Name")
    assert (name.key_range, name.value.range) == (R(3, 2, 3, 6), R(3, 9, 3, 12))


def test_non_ascii_before_a_value_counts_code_points() -> None:
    # U+1F680 is one code point but two UTF-16 units: the model counts code points.
    text = (
        'resource "aws_ebs_volume" "emoji" {\n'
        "  /* 🚀 */ size = 8\n"
        '  tags = { "🚀" = "☃", Name = "x" }\n'
        "}\n"
    )
    emoji = resource(parse("main.tf", text), "emoji")
    size = entry(emoji.body, "size")
    assert (size.key_range, size.value.range) == (R(1, 10, 1, 14), R(1, 17, 1, 18))
    tags = entry(emoji.body, "tags")
    assert isinstance(tags.value, MappingNode) and tags.value.range == R(2, 9, 2, 34)
    rocket = entry(tags.value, "🚀")
    assert (rocket.key_range, rocket.value.range) == (R(2, 11, 2, 14), R(2, 17, 2, 20))
    name = entry(tags.value, "Name")
    assert (name.key_range, name.value.range) == (R(2, 22, 2, 26), R(2, 29, 2, 32))


INTERPOLATED = """\
resource "aws_ebs_volume" "data" {
  size       = "${var.size}"
  type       = "${var.kind}-${local.suffix}"
  iops       = var.iops * 2
  throughput = 125
  tags       = { Name = "vol-${count.index}", Escaped = "a \\"b\\" \\u00e9" }
}
"""


def test_interpolated_strings_are_expressions() -> None:
    data = resource(parse("main.tf", INTERPOLATED), "data")
    size = entry(data.body, "size")
    assert isinstance(size.value, ExpressionNode) and not size.value.known
    assert size.value.range == R(1, 15, 1, 28)
    assert (size.value.text, size.value.references) == ('"${var.size}"', ("var.size",))
    kind = entry(data.body, "type")
    assert isinstance(kind.value, ExpressionNode)
    assert set(kind.value.references) == {"var.kind", "local.suffix"}
    iops = entry(data.body, "iops")
    assert isinstance(iops.value, ExpressionNode) and iops.value.text == "var.iops * 2"
    assert iops.value.range == R(3, 15, 3, 27)
    throughput = entry(data.body, "throughput")
    assert isinstance(throughput.value, ScalarNode) and throughput.value.value == 125
    assert throughput.value.known
    tags = entry(data.body, "tags")
    assert isinstance(tags.value, MappingNode)
    name = entry(tags.value, "Name")
    assert isinstance(name.value, ExpressionNode) and name.value.references == ("count.index",)
    assert name.value.range == R(5, 24, 5, 44)
    escaped = entry(tags.value, "Escaped")
    assert isinstance(escaped.value, ScalarNode) and escaped.value.value == 'a "b" é'
    assert escaped.value.range == R(5, 56, 5, 72)


TERRAFORM_JSON = """\
{
  "variable": {"size": {"default": 20}},
  "resource": {
    "aws_ebs_volume": {
      "data": {
        "availability_zone": "eu-west-1a",
        "type": "gp2",
        "size": "${var.size}",
        "tags": {"Name": "Zürich – ☃"}
      }
    },
    "aws_instance": {
      "web": [{"instance_type": "m5.large"}]
    }
  }
}
"""


@NEWLINES
def test_terraform_json_resources(nl: str) -> None:
    template = parse("main.tf.json", TERRAFORM_JSON.replace("\n", nl))
    assert (template.format, template.syntax) == (Format.TERRAFORM, Syntax.JSON)
    data = resource(template, "data")
    assert data.kind == "aws_ebs_volume" and data.line_offset == 0
    assert data.range == R(4, 6, 9, 7)
    assert data.header_range == R(4, 6, 4, 12)
    assert text_at(TERRAFORM_JSON, data.header_range) == '"data"'
    kind = entry(data.body, "type")
    assert kind.key_range == R(6, 8, 6, 14) and kind.range == R(6, 8, 6, 21)
    assert isinstance(kind.value, ScalarNode) and kind.value.range == R(6, 16, 6, 21)
    assert kind.value.value == "gp2"
    # Terraform reads JSON strings as templates: this one is an expression.
    size = entry(data.body, "size")
    assert isinstance(size.value, ExpressionNode) and size.value.range == R(7, 16, 7, 29)
    assert size.value.references == ("var.size",)
    tags = entry(data.body, "tags")
    assert isinstance(tags.value, MappingNode)
    name = entry(tags.value, "Name")
    assert name.value.range == R(8, 25, 8, 37)
    assert isinstance(name.value, ScalarNode) and name.value.value == "Zürich – ☃"

    web = resource(template, "web")  # a resource body may sit in a list
    assert web.range == R(12, 6, 12, 44)
    assert web.body.range == R(12, 14, 12, 43)
    assert entry(web.body, "instance_type").value.range == R(12, 32, 12, 42)
    assert template.variables[0].name == "size"


@pytest.mark.parametrize("name", ["terraform.tfvars", "prod.auto.tfvars"])
def test_tfvars_assignments(name: str) -> None:
    text = 'instance_type = "m4.large"\nsizes = {\n  data = 200\n}\n'
    template = parse(name, text)
    assert template.resources == ()
    entries = {block.entry.key: block for block in template.blocks}
    assert set(entries) == {"instance_type", "sizes"}
    value = entries["instance_type"].entry.value
    assert isinstance(value, ScalarNode) and value.value == "m4.large"
    assert text_at(text, value.range) == '"m4.large"'
    sizes = entries["sizes"]
    assert sizes.line_offset == 1
    assert isinstance(sizes.entry.value, MappingNode)
    assert text_at(text, sizes.entry.value.range.shifted(sizes.line_offset)) == (
        "{\n  data = 200\n}"
    )


def test_negative_numbers_are_literals() -> None:
    """python-hcl2 reads -1.5 as a literal but -1 as minus applied to 1."""
    text = 'resource "aws_api_gateway_rest_api" "a" {\n  x = -1\n  y = -1.5\n  z = -var.n\n}\n'
    body = resource(parse("main.tf", text), "a").body
    x, y, z = (entry(body, key).value for key in "xyz")
    assert isinstance(x, ScalarNode) and (x.value, x.range) == (-1, R(1, 6, 1, 8))
    assert isinstance(y, ScalarNode) and y.value == -1.5
    assert isinstance(z, ExpressionNode) and z.references == ("var.n",)
