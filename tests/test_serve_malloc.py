"""`mccs serve` keeps glibc's mmap threshold fixed (ADR 0180): a large block freed once is still given back to the
system the next time, instead of staying in a thread's malloc arena (19 MiB per web thread after sign-ins)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# In a child process, so the test process's own allocator is left as it was. Prints how many bytes malloc had
# mapped by itself for a block of 19 MiB (an Argon2 hash's) allocated after one of the same size was freed.
CHILD = r"""
import ctypes, sys
from mccs.server import keep_large_blocks_mapped

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
print(keep_large_blocks_mapped() if sys.argv[1] == "kept" else "default")
size = 19 << 20
libc.free(libc.malloc(size))
mapped_before = libc.mallinfo2().hblkhd
block = libc.malloc(size)
print(libc.mallinfo2().hblkhd - mapped_before)
libc.free(block)
"""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux")
    or platform.libc_ver()[0] != "glibc"
    or tuple(map(int, platform.libc_ver()[1].split(".")[:2])) < (2, 33),
    reason="glibc's malloc (mallinfo2 since 2.33)",
)


def mapped_for_second_block(mode: str) -> tuple[str, int]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    answer, mapped = done.stdout.split()
    return answer, int(mapped)


def test_a_large_block_is_mapped_again_after_one_was_freed():
    answer, mapped = mapped_for_second_block("kept")
    assert answer == "True"
    assert mapped >= 19 << 20


def test_without_it_glibc_keeps_the_second_block_in_its_arena():
    """What the setting is for: glibc's default raises the threshold at the first free, so the block comes from the
    arena (and stays there when freed)."""
    answer, mapped = mapped_for_second_block("default")
    assert answer == "default"
    assert mapped == 0


def test_an_operators_own_setting_is_left_alone(monkeypatch):
    from mccs.server import keep_large_blocks_mapped

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert keep_large_blocks_mapped() is False
