"""Commit parsing and grouping, release notes and announcements."""
