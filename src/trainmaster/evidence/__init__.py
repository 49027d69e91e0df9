"""Evidence packs and secret hygiene.

Public entry points: `bundle.build_evidence` / `bundle.verify_bundle` (signed, verifiable evidence
of one train), `publish.publish_bundle` (attach it to the release), `anchor.differences_with_store`
(excerpt vs the live chain), `signing` (Ed25519 keys), and `secrets.scan.check_secrets`
(sealed-secret layout and plaintext secrets; SARIF via `secrets.sarif.to_sarif`).
"""
