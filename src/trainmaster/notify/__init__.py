"""Notifications: the change announcement, approval requests, promotions, rollbacks, failed
gates, release notes and drift, sent to Slack, Teams, email and signed webhooks through an outbox
written with the audit event that causes them (docs/notifications.md)."""
