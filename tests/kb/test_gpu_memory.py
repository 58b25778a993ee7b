"""The GPU memory table (kb/data/gpu_memory.json): every row sourced and sized, every key
found back as its own model."""

from __future__ import annotations

from dlenv.kb.gpu_memory import gpu_memory, gpu_memory_table


def test_every_row_is_sourced_sized_and_found_by_its_keys() -> None:
    table = gpu_memory_table()
    assert table.as_of.source and len(table.gpus) >= 30
    for row in table.gpus:
        assert row.source.startswith("https://"), row.name
        assert 1 <= row.memory_gib <= 192, row.name
        for key in row.keys:
            found = gpu_memory(f"I train on a {key} card")
            assert found is not None and found.name == row.name, (key, found)


def test_common_variants_and_per_gpu_sizes() -> None:
    k80, a100 = gpu_memory("K80"), gpu_memory("A100")
    assert k80 is not None and k80.memory_mib == 12 * 1024 and "per GPU" in k80.note
    assert a100 is not None and a100.memory_gib == 40 and "80 GB" in a100.note
