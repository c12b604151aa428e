"""Rules about Auto Scaling."""
