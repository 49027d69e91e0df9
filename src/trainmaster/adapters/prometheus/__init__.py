"""Prometheus's HTTP API (`/api/v1/query_range`) behind the metrics port."""

from trainmaster.adapters.prometheus.client import PrometheusMetrics

__all__ = ["PrometheusMetrics"]
