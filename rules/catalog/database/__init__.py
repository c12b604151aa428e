"""Rules about database."""
