"""The safe read's size handling: the request size follows fstat, yet the bytes and the cap
do not depend on fstat being right (hostile cases: tests/test_hostile.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from blake3 import blake3

from sigil_scan.reader import read_file

CAP = 256 * 1024


@pytest.mark.parametrize("size", (0, 1, 65535, 65536, 65537, 200_000, CAP - 1, CAP))
def test_whole_file_read_up_to_the_cap(tmp_path: Path, size: int) -> None:
    data = bytes((i * 7 + i // 251) % 256 for i in range(size))
    path = tmp_path / "f.json"
    path.write_bytes(data)
    read = read_file(path, max_bytes=CAP, allowed_roots=(tmp_path.resolve(),))
    assert read.error is None, read
    assert read.data == data and read.size == size
    assert read.blake3 == "blake3:" + blake3(data).hexdigest()


def test_one_byte_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b" " * (CAP + 1))
    read = read_file(path, max_bytes=CAP)
    assert read.data is None and read.error_kind == "too_large" and read.size == CAP + 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="procfs")
def test_a_file_whose_size_says_zero_is_still_read_to_its_end() -> None:
    # procfs reports st_size 0 for files that have content: the size is a hint for the first
    # request, never the end of the read
    read = read_file(Path("/proc/self/status"))
    assert read.data is not None and b"Name:" in read.data and read.size == len(read.data) > 0
