"""AWS Well-Architected Performance Efficiency best practices cited by rules.

IDs, titles and URLs from the Well-Architected Framework (docs.aws.amazon.com/wellarchitected/
latest/framework/), as collected in the rule catalog (scrape of 2026-05-20).
"""

from __future__ import annotations

from iacperf.rules.api import BestPractice

_BASE = "https://docs.aws.amazon.com/wellarchitected/latest/framework/"


def _bp(bp_id: str, title: str, slug: str) -> BestPractice:
    return BestPractice(bp_id, title, f"{_BASE}{slug}.html")


PERF02_BP01 = _bp(
    "PERF02-BP01",
    "Select the best compute options for your workload",
    "perf_compute_hardware_select_best_compute_options",
)
PERF02_BP03 = _bp(
    "PERF02-BP03",
    "Collect compute-related metrics",
    "perf_compute_hardware_collect_compute_related_metrics",
)
PERF02_BP05 = _bp(
    "PERF02-BP05",
    "Scale your compute resources dynamically",
    "perf_compute_hardware_scale_compute_resources_dynamically",
)
PERF03_BP02 = _bp(
    "PERF03-BP02",
    "Evaluate available configuration options for data store",
    "perf_data_evaluate_configuration_options_data_store",
)
PERF03_BP03 = _bp(
    "PERF03-BP03",
    "Collect and record data store performance metrics",
    "perf_data_collect_record_data_store_performance_metrics",
)
PERF04_BP01 = _bp(
    "PERF04-BP01",
    "Understand how networking impacts performance",
    "perf_networking_understand_how_networking_impacts_performance",
)
PERF04_BP02 = _bp(
    "PERF04-BP02",
    "Evaluate available networking features",
    "perf_networking_evaluate_networking_features",
)
PERF04_BP04 = _bp(
    "PERF04-BP04",
    "Use load balancing to distribute traffic across multiple resources",
    "perf_networking_load_balancing_distribute_traffic",
)
PERF04_BP05 = _bp(
    "PERF04-BP05",
    "Choose network protocols to improve performance",
    "perf_networking_choose_network_protocols_improve_performance",
)
PERF05_BP01 = _bp(
    "PERF05-BP01",
    "Establish key performance indicators (KPIs) to measure workload health and performance",
    "perf_process_culture_establish_key_performance_indicators",
)
PERF05_BP02 = _bp(
    "PERF05-BP02",
    "Use monitoring solutions to understand the areas where performance is most critical",
    "perf_process_culture_use_monitoring_solutions",
)
PERF05_BP05 = _bp(
    "PERF05-BP05",
    "Use automation to proactively remediate performance-related issues",
    "perf_process_culture_automation_remediate_issues",
)
PERF05_BP06 = _bp(
    "PERF05-BP06",
    "Keep your workload and services up-to-date",
    "perf_process_culture_keep_workload_and_services_up_to_date",
)
PERF02_BP02 = _bp(
    "PERF02-BP02",
    "Understand the available compute configuration and features",
    "perf_compute_hardware_understand_compute_configuration_features",
)
PERF02_BP04 = _bp(
    "PERF02-BP04",
    "Configure and right-size compute resources",
    "perf_compute_hardware_configure_and_right_size_compute_resources",
)
PERF03_BP01 = _bp(
    "PERF03-BP01",
    "Use a purpose-built data store that best supports your data access and storage requirements",
    "perf_data_use_purpose_built_data_store",
)
PERF03_BP05 = _bp(
    "PERF03-BP05",
    "Implement data access patterns that utilize caching",
    "perf_data_access_patterns_caching",
)
PERF04_BP06 = _bp(
    "PERF04-BP06",
    "Choose your workload's location based on network requirements",
    "perf_networking_choose_workload_location_network_requirements",
)
