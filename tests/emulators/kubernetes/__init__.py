"""A Kubernetes API emulator: namespaces, ReplicaSets and Argo Rollouts over loopback HTTP."""
