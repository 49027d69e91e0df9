"""Argo Rollouts and namespaces through the Kubernetes API (lightkube)."""
