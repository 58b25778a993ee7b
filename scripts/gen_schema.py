"""Regenerate src/dlenv/report/report.schema.json from the dataclasses."""

from pathlib import Path

from dlenv.report.schema import schema_text

target = Path(__file__).resolve().parents[1] / "src" / "dlenv" / "report" / "report.schema.json"
target.write_text(schema_text(), encoding="utf-8")
print(f"wrote {target}")
