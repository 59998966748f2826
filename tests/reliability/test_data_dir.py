"""``sentrace serve`` refuses to start on a data folder it cannot write, and says which one.

The folder is made unusable for real, not by a permission bit: the tests run as root, and root
writes through ``chmod 000``. Three ways:

* a **read-only file system**: a tmpfs mounted ``ro`` (EROFS);
* a **full disk**: a 64 KiB tmpfs filled to the last byte (ENOSPC);
* a folder whose **parent is a regular file** (ENOTDIR), which needs no privileges at all.

Mounting needs CAP_SYS_ADMIN. Without it a non-root run uses ``chmod`` (which then binds), and
a root run without the capability skips locally and fails under CI=true.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.components import missing
from tests.support.server import ServerFactory, server_env

#: The exit code ``sentrace`` uses for a configuration it cannot run with.
CONFIG_EXIT = 2


def mount_tmpfs(target: Path, options: str) -> bool:
    """Mount a tmpfs at ``target``; False when this process may not mount."""
    target.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "sentrace-test", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def unmount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "ro"
    if mount_tmpfs(mount_point, "ro,size=1m"):
        try:
            yield mount_point / "data"
        finally:
            unmount(mount_point)
        return
    if os.geteuid() == 0:
        missing("a read-only mount", "root without CAP_SYS_ADMIN cannot mount a tmpfs")
    mount_point.chmod(0o555)
    try:
        yield mount_point / "data"
    finally:
        mount_point.chmod(0o755)


@pytest.fixture
def full_disk_dir(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "full"
    if not mount_tmpfs(mount_point, "size=64k"):
        missing("a small tmpfs to fill", "mounting needs CAP_SYS_ADMIN")
    try:
        data = mount_point / "data"
        data.mkdir()
        fill(mount_point / "ballast")
        yield data
    finally:
        unmount(mount_point)


def fill(path: Path) -> None:
    """Write until the file system says it is full."""
    with open(path, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            return


def refused_start(server_factory: ServerFactory, data_dir: Path) -> str:
    """Start a server on ``data_dir``; assert it exits with the config code; its output."""
    env = server_env(data_dir, chain_rpc_url="memory")
    server = server_factory(env, start=False)
    server.spawn()
    code = server.wait_exit(timeout=60)
    output = server.log_text()
    assert code == CONFIG_EXIT, output
    assert "Traceback" not in output, output
    return output


def test_a_read_only_data_folder_is_refused_by_name(
    tmp_path: Path, server_factory: ServerFactory, read_only_dir: Path
) -> None:
    output = refused_start(server_factory, read_only_dir)
    assert f"data folder is not writable: {read_only_dir}" in output
    assert "Read-only file system" in output or "Permission denied" in output


def test_a_full_disk_is_refused_by_name(
    tmp_path: Path, server_factory: ServerFactory, full_disk_dir: Path
) -> None:
    output = refused_start(server_factory, full_disk_dir)
    assert f"data folder is not writable: {full_disk_dir}" in output
    assert "No space left on device" in output


def test_a_data_folder_under_a_file_is_refused_by_name(
    tmp_path: Path, server_factory: ServerFactory
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be\n")
    output = refused_start(server_factory, blocker / "data")
    assert f"data folder is not writable: {blocker / 'data'}" in output
    assert "Not a directory" in output
