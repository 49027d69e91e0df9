"""The audit chain: who did what, why and when, hash-chained so an edit is detectable."""

from trainmaster.audit.chain import GENESIS, AuditEvent, canonical_json, first_broken
from trainmaster.audit.log import AuditLog, append_event

__all__ = ["GENESIS", "AuditEvent", "AuditLog", "append_event", "canonical_json", "first_broken"]
