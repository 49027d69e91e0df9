"""Workflow files to the check contexts GitHub reports; lint against required checks; generate."""
