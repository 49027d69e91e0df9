"""The embedded metrics backend: polls `/metrics` and evaluates a PromQL subset in memory."""

from trainmaster.adapters.scrape.source import ScrapeMetrics

__all__ = ["ScrapeMetrics"]
