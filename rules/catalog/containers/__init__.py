"""Rules about containers (ECS, Fargate)."""
