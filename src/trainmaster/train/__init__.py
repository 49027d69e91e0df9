"""Train and hotfix lifecycle: schedule, cut, the state machine, approvals, promotion."""
