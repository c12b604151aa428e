"""iacperf.rules: the model, the rule API and the rule catalog (standard library only)."""
