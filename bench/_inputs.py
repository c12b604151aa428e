"""Deterministic benchmark inputs: generated Terraform and CloudFormation, corpus picks.

Generated files mix the shapes people write (instances with nested block devices,
volumes, Lambda functions, RDS, DynamoDB with attribute blocks, security groups with
nested and dynamic blocks, locals, variables, outputs), with literal values that trigger
rules, values that do not, and references the engine cannot know.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

_REGIONS = ["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"]
_OLD_TYPES = ["m4.large", "c4.xlarge", "t2.micro", "r4.2xlarge", "m5.large", "t3.small"]
_NEW_TYPES = ["m7g.large", "c7g.xlarge", "t4g.micro", "r7g.2xlarge"]
_VOLUME_TYPES = ["gp2", "gp3", "io2", "standard", "st1"]
_DB_CLASSES = ["db.m4.large", "db.t2.micro", "db.r6g.large", "db.m7g.xlarge", "db.t3.medium"]
_RUNTIMES = ["python3.12", "nodejs20.x", "java21", "provided.al2023"]


def _tf_instance(rng: random.Random, i: int) -> str:
    instance_type = rng.choice(_OLD_TYPES + _NEW_TYPES + ["var.instance_type"])
    value = instance_type if instance_type.startswith("var.") else f'"{instance_type}"'
    extra_disks = "".join(
        f"\n  ebs_block_device {{\n"
        f'    device_name = "/dev/sd{chr(ord("f") + d)}"\n'
        f'    volume_type = "{rng.choice(_VOLUME_TYPES)}"\n'
        f"    volume_size = {rng.randint(8, 500)}\n"
        f"  }}\n"
        for d in range(rng.randint(0, 2))
    )
    return (
        f'resource "aws_instance" "app_{i}" {{\n'
        f"  ami                    = data.aws_ami.base.id\n"
        f"  instance_type          = {value}\n"
        f"  subnet_id              = aws_subnet.private[{i % 3}].id\n"
        f"  vpc_security_group_ids = [aws_security_group.sg_{max(i - 1, 0)}.id]\n"
        f"  monitoring             = {rng.choice(['true', 'false'])}\n"
        f"\n"
        f"  root_block_device {{\n"
        f'    volume_type = "{rng.choice(_VOLUME_TYPES)}"\n'
        f"    volume_size = {rng.choice([20, 50, 100])}\n"
        f"    encrypted   = true\n"
        f"  }}\n"
        f"{extra_disks}"
        f"\n"
        f"  user_data = <<-EOF\n"
        f"    #!/bin/bash\n"
        f'    echo "node {i} in ${{var.environment}}" > /etc/motd\n'
        f"    systemctl enable --now app\n"
        f"  EOF\n"
        f"\n"
        f"  tags = merge(local.common_tags, {{\n"
        f'    Name = "app-{i}"\n'
        f'    Role = "{rng.choice(["web", "worker", "batch"])}"\n'
        f"  }})\n"
        f"}}\n"
    )


def _tf_volume(rng: random.Random, i: int) -> str:
    kind = rng.choice(_VOLUME_TYPES)
    iops = f"  iops              = {rng.randint(3000, 16000)}\n" if kind in ("io2", "gp3") else ""
    return (
        f'resource "aws_ebs_volume" "data_{i}" {{\n'
        f'  availability_zone = "{rng.choice(_REGIONS)}a"\n'
        f"  size              = {rng.randint(10, 2000)}\n"
        f'  type              = "{kind}"\n'
        f"{iops}"
        f"  encrypted         = true\n"
        f"\n"
        f"  tags = {{\n"
        f'    Name = "data-{i}"\n'
        f"  }}\n"
        f"}}\n"
    )


def _tf_lambda(rng: random.Random, i: int) -> str:
    arch = rng.choice(['["x86_64"]', '["arm64"]', None])
    tracing = rng.choice(["Active", "PassThrough", None])
    lines = [
        f'resource "aws_lambda_function" "fn_{i}" {{\n',
        f'  function_name = "${{var.prefix}}-fn-{i}"\n',
        "  role          = aws_iam_role.lambda.arn\n",
        f'  handler       = "app.handler_{i}"\n',
        f'  runtime       = "{rng.choice(_RUNTIMES)}"\n',
        f"  memory_size   = {rng.choice([128, 256, 512, 1024, 2048])}\n",
        f"  timeout       = {rng.choice([3, 10, 30, 60])}\n",
        f'  filename      = "build/fn_{i}.zip"\n',
    ]
    if arch:
        lines.append(f"  architectures = {arch}\n")
    lines.append(
        "\n  environment {\n"
        "    variables = {\n"
        f"      TABLE_NAME = aws_dynamodb_table.table_{i}.name\n"
        f'      LOG_LEVEL  = "{rng.choice(["INFO", "DEBUG", "WARN"])}"\n'
        "    }\n"
        "  }\n"
    )
    if tracing:
        lines.append(f'\n  tracing_config {{\n    mode = "{tracing}"\n  }}\n')
    lines.append("}\n")
    return "".join(lines)


def _tf_rds(rng: random.Random, i: int) -> str:
    insights = rng.choice(["true", "false", None])
    pi = f"  performance_insights_enabled = {insights}\n" if insights else ""
    return (
        f'resource "aws_db_instance" "db_{i}" {{\n'
        f'  identifier                   = "db-{i}"\n'
        f'  engine                       = "{rng.choice(["postgres", "mysql"])}"\n'
        f'  instance_class               = "{rng.choice(_DB_CLASSES)}"\n'
        f"  allocated_storage            = {rng.choice([20, 100, 500])}\n"
        f'  storage_type                 = "{rng.choice(["gp2", "gp3", "standard", "io1"])}"\n'
        f'  username                     = "admin"\n'
        f"  password                     = var.db_password\n"
        f"  multi_az                     = {rng.choice(['true', 'false'])}\n"
        f"{pi}"
        f"  skip_final_snapshot          = true\n"
        f"  vpc_security_group_ids       = [aws_security_group.sg_{i}.id]\n"
        f"}}\n"
    )


def _tf_dynamodb(rng: random.Random, i: int) -> str:
    billing = rng.choice(["PROVISIONED", "PAY_PER_REQUEST"])
    capacity = (
        f"  read_capacity  = {rng.choice([5, 10, 50])}\n"
        f"  write_capacity = {rng.choice([5, 10, 50])}\n"
        if billing == "PROVISIONED"
        else ""
    )
    return (
        f'resource "aws_dynamodb_table" "table_{i}" {{\n'
        f'  name           = "table-{i}"\n'
        f'  billing_mode   = "{billing}"\n'
        f"{capacity}"
        f'  hash_key       = "pk"\n'
        f'  range_key      = "sk"\n'
        f"\n"
        f"  attribute {{\n"
        f'    name = "pk"\n'
        f'    type = "S"\n'
        f"  }}\n"
        f"\n"
        f"  attribute {{\n"
        f'    name = "sk"\n'
        f'    type = "S"\n'
        f"  }}\n"
        f"\n"
        f"  point_in_time_recovery {{\n"
        f"    enabled = true\n"
        f"  }}\n"
        f"}}\n"
    )


def _tf_security_group(rng: random.Random, i: int) -> str:
    ingress = "".join(
        f"\n  ingress {{\n"
        f'    description = "port {port}"\n'
        f"    from_port   = {port}\n"
        f"    to_port     = {port}\n"
        f'    protocol    = "tcp"\n'
        f'    cidr_blocks = ["10.{i % 250}.0.0/16", "192.168.{port % 250}.0/24"]\n'
        f"  }}\n"
        for port in rng.sample([22, 80, 443, 5432, 6379, 8080, 9090], rng.randint(1, 3))
    )
    return (
        f'resource "aws_security_group" "sg_{i}" {{\n'
        f'  name        = "sg-{i}"\n'
        f'  description = "Security group {i}"\n'
        f"  vpc_id      = aws_vpc.main.id\n"
        f"{ingress}"
        f"\n"
        f'  dynamic "egress" {{\n'
        f"    for_each = var.egress_rules\n"
        f"    content {{\n"
        f"      from_port   = egress.value.from\n"
        f"      to_port     = egress.value.to\n"
        f'      protocol    = "-1"\n'
        f'      cidr_blocks = ["0.0.0.0/0"]\n'
        f"    }}\n"
        f"  }}\n"
        f"}}\n"
    )


def _tf_locals(rng: random.Random, i: int) -> str:
    return (
        f"locals {{\n"
        f'  name_{i}   = "${{var.prefix}}-{i}"\n'
        f"  sizes_{i}  = [{', '.join(str(rng.randint(1, 64)) for _ in range(4))}]\n"
        f'  type_{i}   = "{rng.choice(_OLD_TYPES + _NEW_TYPES)}"\n'
        f"  tags_{i} = {{\n"
        f'    Team = "team-{i % 7}"\n'
        f'    Tier = "{rng.choice(["gold", "silver"])}"\n'
        f"  }}\n"
        f"}}\n"
    )


def _tf_variable(rng: random.Random, i: int) -> str:
    default = rng.choice([f'"{rng.choice(_OLD_TYPES)}"', str(rng.randint(1, 100)), "true"])
    return (
        f'variable "setting_{i}" {{\n'
        f'  description = "Setting {i}"\n'
        f"  type        = {'string' if default.startswith(chr(34)) else 'any'}\n"
        f"  default     = {default}\n"
        f"}}\n"
    )


_TF_SHAPES: list[tuple[Callable[[random.Random, int], str], int]] = [
    (_tf_instance, 4),
    (_tf_volume, 3),
    (_tf_lambda, 3),
    (_tf_rds, 2),
    (_tf_dynamodb, 2),
    (_tf_security_group, 3),
    (_tf_locals, 1),
    (_tf_variable, 2),
]

_TF_HEADER = """\
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "prefix" {
  type    = string
  default = "bench"
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "instance_type" {
  type = string
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "egress_rules" {
  type    = list(object({ from = number, to = number }))
  default = []
}

data "aws_ami" "base" {
  most_recent = true
  owners      = ["amazon"]
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count      = 3
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.private[0].id
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_iam_role" "lambda" {
  name               = "${var.prefix}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

locals {
  common_tags = {
    Project     = var.prefix
    Environment = var.environment
  }
}
"""


def terraform(lines: int, seed: int) -> str:
    """A Terraform file of about ``lines`` lines (never fewer)."""
    rng = random.Random(seed * 1_000_003 + lines)
    shapes = [shape for shape, weight in _TF_SHAPES for _ in range(weight)]
    parts = [_TF_HEADER]
    count = _TF_HEADER.count("\n")
    i = 0
    while count < lines:
        block = rng.choice(shapes)(rng, i)
        parts.append("\n" + block)
        count += block.count("\n") + 1
        i += 1
    return "".join(parts)


def _cfn_resource(rng: random.Random, i: int) -> str:
    shape = rng.randrange(6)
    if shape == 0:
        return (
            f"  Instance{i}:\n"
            f"    Type: AWS::EC2::Instance\n"
            f"    Properties:\n"
            f"      ImageId: !Ref ImageId\n"
            f"      InstanceType: {rng.choice(_OLD_TYPES + _NEW_TYPES)}\n"
            f"      SubnetId: !Ref SubnetId\n"
            f"      SecurityGroupIds:\n"
            f"        - !GetAtt SecurityGroup{i}.GroupId\n"
            f"      BlockDeviceMappings:\n"
            f"        - DeviceName: /dev/xvda\n"
            f"          Ebs:\n"
            f"            VolumeType: {rng.choice(_VOLUME_TYPES)}\n"
            f"            VolumeSize: {rng.choice([20, 50, 100])}\n"
            f"            Encrypted: true\n"
            f"      UserData:\n"
            f"        Fn::Base64: !Sub |\n"
            f"          #!/bin/bash\n"
            f"          echo 'instance {i} in ${{AWS::Region}}' > /etc/motd\n"
            f"      Tags:\n"
            f"        - Key: Name\n"
            f"          Value: !Sub '${{AWS::StackName}}-instance-{i}'\n"
            f"  SecurityGroup{i}:\n"
            f"    Type: AWS::EC2::SecurityGroup\n"
            f"    Properties:\n"
            f"      GroupDescription: Security group {i}\n"
            f"      VpcId: !Ref VpcId\n"
            f"      SecurityGroupIngress:\n"
            f"        - IpProtocol: tcp\n"
            f"          FromPort: 443\n"
            f"          ToPort: 443\n"
            f"          CidrIp: 10.{i % 250}.0.0/16\n"
            f"        - IpProtocol: tcp\n"
            f"          FromPort: 22\n"
            f"          ToPort: 22\n"
            f"          CidrIp: 192.168.0.0/24\n"
        )
    if shape == 1:
        return (
            f"  Volume{i}:\n"
            f"    Type: AWS::EC2::Volume\n"
            f"    Properties:\n"
            f"      AvailabilityZone: !Select [0, !GetAZs '']\n"
            f"      Size: {rng.randint(10, 2000)}\n"
            f"      VolumeType: {rng.choice(_VOLUME_TYPES)}\n"
            f"      Encrypted: true\n"
        )
    if shape == 2:
        arch = rng.choice(["x86_64", "arm64", None])
        tracing = rng.choice(["Active", "PassThrough", None])
        return (
            f"  Function{i}:\n"
            f"    Type: AWS::Lambda::Function\n"
            f"    Properties:\n"
            f"      FunctionName: !Sub '${{AWS::StackName}}-fn-{i}'\n"
            f"      Runtime: {rng.choice(_RUNTIMES)}\n"
            f"      Handler: app.handler_{i}\n"
            f"      Role: !GetAtt LambdaRole.Arn\n"
            f"      MemorySize: {rng.choice([128, 256, 512, 1024])}\n"
            f"      Timeout: {rng.choice([3, 10, 30])}\n"
            + (f"      Architectures:\n        - {arch}\n" if arch else "")
            + (f"      TracingConfig:\n        Mode: {tracing}\n" if tracing else "")
            + f"      Code:\n"
            f"        S3Bucket: !Ref CodeBucket\n"
            f"        S3Key: fn-{i}.zip\n"
            f"      Environment:\n"
            f"        Variables:\n"
            f"          LOG_LEVEL: INFO\n"
            f"          TABLE: !Ref Table{i}\n"
        )
    if shape == 3:
        return (
            f"  Database{i}:\n"
            f"    Type: AWS::RDS::DBInstance\n"
            f"    Properties:\n"
            f"      Engine: {rng.choice(['postgres', 'mysql'])}\n"
            f"      DBInstanceClass: {rng.choice(_DB_CLASSES)}\n"
            f"      AllocatedStorage: '{rng.choice([20, 100, 500])}'\n"
            f"      StorageType: {rng.choice(['gp2', 'gp3', 'standard'])}\n"
            f"      MasterUsername: admin\n"
            f"      MasterUserPassword: '{{{{resolve:secretsmanager:db-{i}}}}}'\n"
            f"      EnablePerformanceInsights: {rng.choice(['true', 'false'])}\n"
            f"      MultiAZ: {rng.choice(['true', 'false'])}\n"
        )
    if shape == 4:
        billing = rng.choice(["PROVISIONED", "PAY_PER_REQUEST"])
        throughput = (
            "      ProvisionedThroughput:\n"
            "        ReadCapacityUnits: 5\n"
            "        WriteCapacityUnits: 5\n"
            if billing == "PROVISIONED"
            else ""
        )
        return (
            f"  Table{i}:\n"
            f"    Type: AWS::DynamoDB::Table\n"
            f"    Properties:\n"
            f"      TableName: !Sub '${{AWS::StackName}}-table-{i}'\n"
            f"      BillingMode: {billing}\n"
            f"{throughput}"
            f"      AttributeDefinitions:\n"
            f"        - AttributeName: pk\n"
            f"          AttributeType: S\n"
            f"        - AttributeName: sk\n"
            f"          AttributeType: S\n"
            f"      KeySchema:\n"
            f"        - AttributeName: pk\n"
            f"          KeyType: HASH\n"
            f"        - AttributeName: sk\n"
            f"          KeyType: RANGE\n"
        )
    return (
        f"  Queue{i}:\n"
        f"    Type: AWS::SQS::Queue\n"
        f"    Properties:\n"
        f"      QueueName: !Sub '${{AWS::StackName}}-queue-{i}'\n"
        f"      VisibilityTimeout: {rng.choice([30, 60, 300])}\n"
        f"      MessageRetentionPeriod: 1209600\n"
    )


_CFN_HEADER = """\
AWSTemplateFormatVersion: '2010-09-09'
Description: Generated benchmark template
Parameters:
  ImageId:
    Type: AWS::EC2::Image::Id
  SubnetId:
    Type: AWS::EC2::Subnet::Id
  VpcId:
    Type: AWS::EC2::VPC::Id
  CodeBucket:
    Type: String
    Default: code-bucket
Resources:
  LambdaRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
"""


def cloudformation(lines: int, seed: int) -> str:
    """A CloudFormation YAML template of about ``lines`` lines."""
    return _cfn_template(random.Random(seed * 1_000_003 + lines + 7), "\n", lines - 3)


# -- the corpus --------------------------------------------------------------

_CFN_MARK = re.compile(r"AWSTemplateFormatVersion|^\s*\"?Type\"?\s*:\s*\"?AWS::", re.MULTILINE)


def _is_cloudformation(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith((".tf.json", ".tfvars.json")):
        return False
    if not name.endswith((".yaml", ".yml", ".json", ".template")):
        return False
    try:
        head = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "Resources" in head and _CFN_MARK.search(head) is not None


def _files(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".terraform", ".git", "node_modules"))
        for name in sorted(names):
            yield Path(folder) / name


def largest_corpus_files(corpus: Path, top: int) -> tuple[list[Path], list[Path]]:
    """The ``top`` largest Terraform (``.tf``) files and CloudFormation templates, by size."""
    if not corpus.is_dir() or top <= 0:
        return [], []
    files = list(_files(corpus))
    by_size = sorted(files, key=lambda p: (-p.stat().st_size, str(p)))
    terraform_files = [p for p in by_size if p.name.endswith(".tf")][:top]
    templates: list[Path] = []
    for path in by_size:
        if len(templates) >= top:
            break
        if _is_cloudformation(path):
            templates.append(path)
    return terraform_files, templates


def cloudformation_resources(count: int, seed: int) -> str:
    """A CloudFormation YAML template with at least ``count`` resources."""
    return _cfn_template(random.Random(seed * 1_000_003 + count + 11), _CFN_TYPE, count)


_CFN_TYPE = "\n    Type: AWS::"  # one per resource


def _cfn_template(rng: random.Random, unit: str, target: int) -> str:
    """The header, then resources until the text holds ``unit`` ``target`` times, then
    the outputs."""
    parts = [_CFN_HEADER]
    seen = _CFN_HEADER.count(unit)
    i = 0
    while seen < target:
        block = _cfn_resource(rng, i)
        parts.append(block)
        seen += block.count(unit)
        i += 1
    parts.append("Outputs:\n  RoleArn:\n    Value: !GetAtt LambdaRole.Arn\n")
    return "".join(parts)
