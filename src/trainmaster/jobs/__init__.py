"""Durable jobs: scheduled and deferred work kept in the store, run by `trainmaster serve` and
`trainmaster worker` replicas, each job exactly once per key (see docs/architecture.md)."""
