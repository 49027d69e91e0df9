"""The only code that does I/O with the outside: GitHub, Kubernetes, Prometheus, git, local."""
