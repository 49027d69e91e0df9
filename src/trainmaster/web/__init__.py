"""`trainmaster serve`: the train, its gates and golden signals in a browser, and the same
approve/promote/rollback/abort actions as the CLI, behind GitHub sign-in (docs/architecture.md,
"web")."""
