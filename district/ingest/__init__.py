"""Ingest: every station's status, telemetry, events and command results, each stored exactly once."""
