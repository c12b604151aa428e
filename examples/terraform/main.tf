# A small web tier with a few performance problems iacperf finds.

resource "aws_instance" "web" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "m4.large"

  root_block_device {
    volume_type = "gp2"
    volume_size = 30
  }
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 200
  type              = "gp2"
}

resource "aws_elb" "web" {
  name               = "web"
  availability_zones = ["eu-west-1a", "eu-west-1b"]

  listener {
    instance_port     = 80
    instance_protocol = "http"
    lb_port           = 80
    lb_protocol       = "http"
  }
}

resource "aws_db_instance" "app" {
  identifier        = "app"
  engine            = "postgres"
  instance_class    = "db.m4.large"
  allocated_storage = 100
  storage_type      = "standard"
  username          = "app"
  password          = "change-me-please"
}
