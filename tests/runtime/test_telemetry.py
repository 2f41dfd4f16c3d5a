"""The runtime's counts reach prometheus_client and OpenTelemetry when the service has them."""

from __future__ import annotations

from pathlib import Path

from migrator.runtime import Component

from .conftest import REDIS_URL, run_python, write_runtime

# A divergence at `shadow` and a failing store at `dualwrite`, with both exporters configured.
SCRIPT = """
import os
from opentelemetry import metrics as otel
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
reader = InMemoryMetricReader()
otel.set_meter_provider(MeterProvider(metric_readers=[reader]))
import prometheus_client
from {package}._stateless import kv, metrics

old = {{"s1": "memory"}}
sessions = kv("SESSIONS", old)
os.environ["STATELESS_SESSIONS"] = "complete"
sessions["s1"] = "store"
os.environ["STATELESS_SESSIONS"] = "shadow"
assert sessions["s1"] == "memory"
metrics.observe("SESSIONS", "get", 0.003)  # the store's own calls are timed too
metrics.breaker_tripped("SESSIONS")

sample = prometheus_client.REGISTRY.get_sample_value
assert sample("stateless_events_total", {{"component": "SESSIONS", "event": "divergence"}}) == 1
assert sample("stateless_events_total", {{"component": "SESSIONS", "event": "breaker_trip"}}) == 1
assert sample(
    "stateless_store_duration_seconds_count", {{"component": "SESSIONS", "operation": "get"}}
) >= 1
points = {{}}
for resource in reader.get_metrics_data().resource_metrics:
    for scope in resource.scope_metrics:
        for metric in scope.metrics:
            for point in metric.data.data_points:
                key = (metric.name, tuple(sorted(point.attributes.items())))
                points[key] = getattr(point, "value", getattr(point, "count", None))
assert points[("stateless.events", (("component", "SESSIONS"), ("event", "divergence")))] == 1
assert points[("stateless.store.duration", (("component", "SESSIONS"), ("operation", "get")))] >= 1
print("exported")
"""


def test_counts_and_durations_reach_both_exporters(tmp_path: Path, key_prefix: str) -> None:
    package = write_runtime(tmp_path, [Component("SESSIONS", "kv", "redis")])
    env = {"STATELESS_KEY_PREFIX": key_prefix, "STATELESS_REDIS_URL": REDIS_URL}
    process = run_python(SCRIPT.format(package=package), env, tmp_path)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert stdout.strip() == "exported"


def test_without_either_exporter_the_runtime_keeps_its_own_counts(tmp_path: Path) -> None:
    package = write_runtime(tmp_path, [Component("SESSIONS", "kv", "redis")])
    script = (
        "import sys\n"
        "sys.modules['prometheus_client'] = None\n"
        "sys.modules['opentelemetry'] = None\n"
        f"from {package}._stateless import metrics\n"
        "metrics.record('SESSIONS', 'divergence')\n"
        "assert metrics.counts == {'SESSIONS.divergence': 1} and not metrics.exporting\n"
    )
    process = run_python(script, {}, tmp_path)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
