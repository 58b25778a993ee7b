"""JSON with comments edited in place: every byte outside the edited value stays."""

from __future__ import annotations

import json

import pytest

from dlenv.setup.jsonc import JsoncError, loads, set_value

PY = ["python.defaultInterpreterPath"]
ENV = ["terminal.integrated.env.linux", "KERAS_BACKEND"]
WHERE = "${workspaceFolder}/.venv/bin/python"


def test_comments_trailing_commas_and_order_are_kept() -> None:
    text = (
        "// user settings\n"
        "{\n"
        '    "editor.fontSize": 14, // big\n'
        "    /* block\n"
        "       comment */\n"
        '    "files.exclude": {"**/.git": true,},\n'
        "}\n"
    )
    out = set_value(set_value(text, PY, WHERE), ENV, "jax")
    assert out == (
        "// user settings\n"
        "{\n"
        '    "editor.fontSize": 14, // big\n'
        "    /* block\n"
        "       comment */\n"
        '    "files.exclude": {"**/.git": true,},\n'
        f'    "python.defaultInterpreterPath": "{WHERE}",\n'
        '    "terminal.integrated.env.linux": {\n'
        '        "KERAS_BACKEND": "jax"\n'
        "    },\n"
        "}\n"
    )
    assert loads(out)["files.exclude"] == {"**/.git": True}


def test_a_comment_after_the_last_value_stays_on_its_line() -> None:
    out = set_value('{\n  "a": 1 // note\n}', PY, "p")
    assert out == '{\n  "a": 1, // note\n  "python.defaultInterpreterPath": "p"\n}'


def test_an_existing_value_is_replaced_and_crlf_and_tabs_kept() -> None:
    text = '\ufeff{\r\n\t"python.defaultInterpreterPath": "/usr/bin/python3", // old\r\n}\r\n'
    out = set_value(text, PY, WHERE)
    assert out == f'\ufeff{{\r\n\t"python.defaultInterpreterPath": "{WHERE}", // old\r\n}}\r\n'


def test_objects_on_the_way_are_merged_into_not_replaced() -> None:
    text = '{\n    "terminal.integrated.env.linux": {\n        "FOO": "1" // mine\n    }\n}\n'
    out = set_value(text, ENV, "torch")
    assert out == (
        '{\n    "terminal.integrated.env.linux": {\n        "FOO": "1", // mine\n'
        '        "KERAS_BACKEND": "torch"\n    }\n}\n'
    )
    assert set_value(out, ENV, "jax") == out.replace('"torch"', '"jax"')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", f'{{\n    "python.defaultInterpreterPath": "{WHERE}"\n}}\n'),
        ("// only a comment\n", f'// only a comment\n{{\n    "python.defaultInterpreterPath": "{WHERE}"\n}}\n'),
        ("{}", f'{{\n    "python.defaultInterpreterPath": "{WHERE}"\n}}'),
        ("{\n  // empty\n}\n", f'{{\n  // empty\n    "python.defaultInterpreterPath": "{WHERE}"\n}}\n'),
    ],
)
def test_empty_files_and_objects(text: str, expected: str) -> None:
    out = set_value(text, PY, WHERE)
    assert out == expected
    assert loads(out) == {PY[0]: WHERE}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1 "b": 2}', "line 1, column 9: expected ',' or '}'"),
        ('{\n  "a": 1,\n  /* open\n}', "line 3, column 3: a /* comment that is never closed"),
        ("[1, 2]", "line 1, column 1: the settings must be one JSON object"),
        ('{"a": tru}', "line 1, column 7: unexpected 't'"),
        ('{"a": 1}}', "line 1, column 9: more after the closing '}'"),
        ('{"a": "x\n"}', "line 1, column 7: a string that is never closed"),
        ("{a: 1}", "line 1, column 2: expected a key in double quotes or '}'"),
    ],
)
def test_malformed_settings_name_the_place(text: str, message: str) -> None:
    with pytest.raises(JsoncError) as info:
        set_value(text, PY, WHERE)
    assert str(info.value).startswith(message)


def test_values_read_like_json() -> None:
    text = '{"a": [1, /* two */ 2,], "b": {"c": "d\\u00e9",}, "e": -1.5e3, "f": null}'
    assert loads(text) == {"a": [1, 2], "b": {"c": "dé"}, "e": -1500.0, "f": None}
    assert loads(json.dumps({"x": [{"y": True}]})) == {"x": [{"y": True}]}
