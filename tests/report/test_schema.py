from __future__ import annotations

import json

import jsonschema

from dlenv.report.json import dump_report
from dlenv.report.schema import schema_text, shipped_schema_text
from tests.report.samples import broken_report


def test_shipped_schema_is_the_generated_one() -> None:
    # regenerate with: python scripts/gen_schema.py
    assert shipped_schema_text() == schema_text()


def test_reports_validate_against_the_schema() -> None:
    schema = json.loads(shipped_schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(dump_report(broken_report()))
    jsonschema.validate(document, schema)
    assert document["kind"] == "dlenv-report"
    assert document["findings"][0]["fixes"][1]["kind"] == "install"
