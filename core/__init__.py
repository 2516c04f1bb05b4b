"""Cross-cutting pieces: configuration, clock, errors, API-key auth, CLI."""
