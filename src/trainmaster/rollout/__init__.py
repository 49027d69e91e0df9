"""Promote, abort, undo and pin-to-digest; preview environments and their TTL sweep."""
