"""The rule catalog: one rule per module, discovered by ``iacperf.rules.registry``."""
