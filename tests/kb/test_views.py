from __future__ import annotations

from dlenv.kb.views import table_view

TORCH_NOTE = "torch 2.17 is newer than dlenv's knowledge base (last row 2.14): showing 2.14"


def test_a_newer_torch_shows_the_last_release_with_a_note() -> None:
    view = table_view("torch", "2.17 cu132")
    assert view.note == TORCH_NOTE
    assert view.title == f"PyTorch CUDA variants ({TORCH_NOTE})"
    assert [(r["torch"], r["variant"], r["cuda"]) for r in view.rows] == [("2.14", "cu132", "13.2")]


def test_newer_tensorflow_and_cuda_fall_back_to_their_last_rows() -> None:
    tf = table_view("tf", "2.22")
    assert (
        tf.note
        == "tensorflow 2.22 is newer than dlenv's knowledge base (last row 2.21): showing 2.21"
    )
    assert [r["tensorflow"] for r in tf.rows] == ["2.21"]
    driver = table_view("driver", "13.6")
    assert (
        driver.note
        == "CUDA 13.6 is newer than dlenv's knowledge base (last row 13.5): showing 13.5"
    )
    assert [(r["cuda"], r["linux"]) for r in driver.rows] == [("13.5", "unknown")]


def test_no_fallback_for_older_or_matching_or_unversioned_queries() -> None:
    older = table_view("torch", "0.4")
    assert (older.rows, older.note, older.title) == ([], None, "PyTorch CUDA variants")
    # "3.15" is a Python version in the torch table, not a torch release newer than 2.14
    python = table_view("torch", "3.15")
    assert python.note is None and {r["torch"] for r in python.rows} == {"2.13", "2.14"}
    assert table_view("gpu", "Voodoo5").rows == []
    assert table_view("keras", "9.9").note is None
