from tests.emulators.kubernetes.fixtures import k8s

__all__ = ["k8s"]
