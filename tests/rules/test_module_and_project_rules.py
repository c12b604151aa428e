"""PERF046 and PERF049 across files: what single-file fixtures cannot show.

PERF046 reads the other blocks of a Terraform directory (module calls, data sources) and
nested stacks; PERF049 sees everything scanned together and anchors its one finding on the
first compute/data resource by path, then line.
"""

from __future__ import annotations

import textwrap

from iacperf.rules.api import Applicability
from iacperf.rules.model import Template
from iacperf.server.engine import Finding, Selection, lint
from iacperf.server.fixes import apply_fixes
from iacperf.server.parsing import parse_text


def _parse(path: str, text: str) -> Template:
    template, _ = parse_text(path, textwrap.dedent(text))
    assert template is not None and not template.errors, path
    return template


def _lint(code: str, *files: tuple[str, str]) -> list[Finding]:
    return lint([_parse(path, text) for path, text in files], Selection(select=frozenset({code})))


LAMBDA = """
resource "aws_lambda_function" "api" {
  function_name = "api"
  role          = "arn:aws:iam::123456789012:role/api"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "api.zip"
}
"""

TABLE = """
resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"
  attribute {
    name = "id"
    type = "S"
  }
}
"""


# -- PERF049 ----------------------------------------------------------------------------


def test_perf049_anchors_on_first_inventory_resource_by_path_then_line() -> None:
    findings = _lint(
        "PERF049",
        ("app/b.tf", LAMBDA),
        ("app/a.tf", 'resource "aws_sns_topic" "alerts" {}\n' + TABLE),
        ("stack.yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n"),
    )
    assert [(f.path, f.range.start.line, f.resource) for f in findings] == [
        ("app/a.tf", 2, "aws_dynamodb_table.orders"),
        ("stack.yaml", 1, "Fn"),  # CloudFormation is its own project
    ]
    assert "the 2 compute/data resources scanned" in findings[0].message
    assert findings[0].fix is not None
    assert findings[0].fix.applicability is Applicability.DISPLAY_ONLY


def test_perf049_alarm_in_another_file_of_the_project_counts() -> None:
    metric_alarm = """
    resource "aws_cloudwatch_metric_alarm" "api_duration" {
      alarm_name          = "api-duration-p99"
      namespace           = "AWS/Lambda"
      metric_name         = "Duration"
      extended_statistic  = "p99"
      period              = 60
      evaluation_periods  = 5
      threshold           = 1000
      comparison_operator = "GreaterThanThreshold"
    }
    """
    composite_alarm = """
    resource "aws_cloudwatch_composite_alarm" "api" {
      alarm_name = "api"
      alarm_rule = "ALARM(api-errors)"
    }
    """
    assert len(_lint("PERF049", ("app/main.tf", LAMBDA))) == 1
    for alarm in (metric_alarm, composite_alarm):
        assert not _lint("PERF049", ("app/main.tf", LAMBDA), ("monitoring/alarms.tf", alarm))


def test_perf049_alarm_module_counts_but_a_log_module_does_not() -> None:
    alarms = """
    module "api_alarms" {
      source = "terraform-aws-modules/cloudwatch/aws//modules/metric-alarm"
    }
    """
    logs = """
    module "logs" {
      source = "cloudposse/cloudwatch-logs/aws"
    }
    """
    assert not _lint("PERF049", ("main.tf", LAMBDA), ("alarms.tf", alarms))
    assert len(_lint("PERF049", ("main.tf", LAMBDA), ("logs.tf", logs))) == 1


def test_perf049_scaling_policy_type_decides() -> None:
    def policy(policy_type: str) -> str:
        return f"""
        resource "aws_appautoscaling_policy" "read" {{
          name               = "read"
          policy_type        = {policy_type}
          resource_id        = "table/orders"
          scalable_dimension = "dynamodb:table:ReadCapacityUnits"
          service_namespace  = "dynamodb"
        }}
        """

    assert not _lint("PERF049", ("main.tf", TABLE + policy('"TargetTrackingScaling"')))
    assert not _lint("PERF049", ("main.tf", TABLE + policy("var.policy_type")))
    assert len(_lint("PERF049", ("main.tf", TABLE + policy('"StepScaling"')))) == 1


def test_perf049_silent_without_compute_or_data_resources() -> None:
    assert not _lint("PERF049", ("main.tf", 'resource "aws_s3_bucket" "logs" {}\n'))


def test_perf049_network_load_balancer_hint() -> None:
    nlb = 'resource "aws_lb" "mqtt" {\n  load_balancer_type = "network"\n}\n'
    (finding,) = _lint("PERF049", ("main.tf", nlb))
    assert finding.fix is not None
    assert finding.fix.title.endswith("for example on load balancer UnHealthyHostCount")
    assert "for the compute/data resource scanned (aws_lb); add alarms on its" in finding.message


# -- PERF046 ----------------------------------------------------------------------------

NETWORK = """
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.0.0/24"
}

resource "aws_nat_gateway" "main" {
  subnet_id = aws_subnet.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.main.id
  }
}
"""


def test_perf046_endpoint_module_in_the_same_directory_counts() -> None:
    endpoints = """
    module "vpc_endpoints" {
      source = "terraform-aws-modules/vpc/aws//modules/vpc-endpoints"
      vpc_id = aws_vpc.main.id
    }
    """
    other = """
    module "lambda" {
      source = "terraform-aws-modules/lambda/aws"
    }
    """
    assert not _lint("PERF046", ("net/main.tf", NETWORK), ("net/endpoints.tf", endpoints))
    assert len(_lint("PERF046", ("net/main.tf", NETWORK), ("net/lambda.tf", other))) == 1
    # Another directory is another module: its endpoints module does not count.
    assert len(_lint("PERF046", ("net/main.tf", NETWORK), ("other/endpoints.tf", endpoints))) == 1


def test_perf046_dynamodb_module_asks_for_a_dynamodb_endpoint() -> None:
    s3 = """
    resource "aws_vpc_endpoint" "s3" {
      vpc_id       = aws_vpc.main.id
      service_name = "com.amazonaws.eu-west-1.s3"
    }
    """
    table = 'module "orders" {\n  source = "terraform-aws-modules/dynamodb-table/aws"\n}\n'
    assert not _lint("PERF046", ("main.tf", NETWORK + s3))
    (finding,) = _lint("PERF046", ("main.tf", NETWORK + s3), ("table.tf", table))
    assert finding.message.startswith("No DynamoDB gateway VPC endpoint")


def test_perf046_nat_gateway_in_an_imported_network_is_not_checked() -> None:
    imported = """
    resource "aws_nat_gateway" "main" {
      subnet_id = var.public_subnet_id
    }

    resource "aws_route" "private" {
      route_table_id         = var.private_route_table_id
      destination_cidr_block = "0.0.0.0/0"
      nat_gateway_id         = aws_nat_gateway.main.id
    }
    """
    assert not _lint("PERF046", ("main.tf", imported))
    # The module's own route table makes the network its own, VPC unknown or not.
    own_table = """
    resource "aws_route_table" "private" {
      vpc_id = var.vpc_id
      route {
        cidr_block     = "0.0.0.0/0"
        nat_gateway_id = aws_nat_gateway.main.id
      }
    }
    """
    (finding,) = _lint("PERF046", ("main.tf", imported + own_table))
    assert finding.fix is not None
    assert finding.fix.applicability is Applicability.DISPLAY_ONLY  # VPC unknown


def test_perf046_nested_endpoint_stack_counts() -> None:
    template = """
    Resources:
      Vpc:
        Type: AWS::EC2::VPC
        Properties: {CidrBlock: 10.0.0.0/16}
      Subnet:
        Type: AWS::EC2::Subnet
        Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24}
      Nat:
        Type: AWS::EC2::NatGateway
        Properties: {SubnetId: !Ref Subnet}
    """
    nested = """
    Endpoints:
      Type: AWS::CloudFormation::Stack
      Properties:
        TemplateURL: https://example.com/templates/vpc-endpoints.yaml
    """
    template = textwrap.dedent(template)
    assert len(_lint("PERF046", ("net.yaml", template))) == 1
    with_stack = template + textwrap.indent(textwrap.dedent(nested).lstrip(), "  ")
    assert not _lint("PERF046", ("net.yaml", with_stack))


def test_perf046_fixes_for_two_vpcs_use_distinct_names() -> None:
    second = NETWORK.replace("10.0.", "10.1.")
    for name in ("main", "public", "private"):
        renamed = "edge" if name == "main" else f"edge_{name}"
        second = second.replace(f'"{name}"', f'"{renamed}"').replace(f".{name}.", f".{renamed}.")
    region = 'data "aws_region" "current" {}\n'
    text = region + NETWORK + second
    findings = _lint("PERF046", ("main.tf", text))
    assert [f.resource for f in findings] == ["aws_nat_gateway.main", "aws_nat_gateway.edge"]
    fixed, applied = apply_fixes(text, findings, Applicability.UNSAFE)
    assert applied == 2
    assert 'resource "aws_vpc_endpoint" "main_s3" {' in fixed
    assert 'resource "aws_vpc_endpoint" "edge_s3" {' in fixed
    assert fixed.count('data "aws_region"') == 1
    assert not _lint("PERF046", ("main.tf", fixed))


def test_perf046_terraform_json_is_read_but_not_edited() -> None:
    text = """
    {
      "resource": {
        "aws_vpc": {"main": {"cidr_block": "10.0.0.0/16"}},
        "aws_subnet": {"public": {"vpc_id": "${aws_vpc.main.id}", "cidr_block": "10.0.0.0/24"}},
        "aws_nat_gateway": {"main": {"subnet_id": "${aws_subnet.public.id}"}},
        "aws_route_table": {
          "private": {
            "vpc_id": "${aws_vpc.main.id}",
            "route": [{"cidr_block": "0.0.0.0/0", "nat_gateway_id": "${aws_nat_gateway.main.id}"}]
          }
        }
      }
    }
    """
    (finding,) = _lint("PERF046", ("main.tf.json", text))
    assert finding.fix is not None
    assert finding.fix.applicability is Applicability.DISPLAY_ONLY
    endpoint = text.replace(
        '"aws_vpc": {',
        '"aws_vpc_endpoint": {"s3": {"vpc_id": "${aws_vpc.main.id}", '
        '"service_name": "com.amazonaws.${var.region}.s3"}},\n"aws_vpc": {',
    )
    assert not _lint("PERF046", ("main.tf.json", endpoint))
