"""Desired repository state from the policy; diff against the live state; plan, apply, drift."""
