"""Evidence packs, SBOM, signing and verification; secret scanning."""
