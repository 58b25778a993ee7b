"""The Snapshot: facts about one machine, and their JSON form."""

from dlenv.snapshot.model import SCHEMA_VERSION, Snapshot

__all__ = ["SCHEMA_VERSION", "Snapshot"]
