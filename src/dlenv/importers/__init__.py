"""Importers: foreign reports (collect_env, nvidia-smi, dlenv JSON, logs, tracebacks) -> Snapshot.

`import_text()` is the entry point; `signatures.SIGNATURES` is the catalogue of known messages.
"""

from __future__ import annotations

from dlenv.importers.detect import Imported, combine_with_machine, decode, import_text

__all__ = ["Imported", "combine_with_machine", "decode", "import_text"]
