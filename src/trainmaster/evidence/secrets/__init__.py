"""Secret hygiene: sealed-secret layout under deploy/<env>/secrets/ and plaintext secret scanning
of the working tree, git history and CI logs. Findings carry fingerprints, never secrets."""
