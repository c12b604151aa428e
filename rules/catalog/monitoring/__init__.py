"""Rules about monitoring."""
