"""The host's measure of a Landlock workspace: blocks in use, links not followed, hidden
directories opened up again or failing closed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autan.sandbox._workspace_quota import MAX_DEPTH, WorkspaceQuota, disk_usage

MB = 1024 * 1024


def write(path: Path, megabytes: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(megabytes * MB))


def test_usage_counts_nested_files(tmp_path: Path) -> None:
    write(tmp_path / "a.bin", 1)
    write(tmp_path / "x" / "y" / "b.bin", 2)
    assert 3 * MB <= disk_usage(tmp_path) < 3 * MB + 64 * 1024


def test_a_sparse_file_counts_what_it_uses(tmp_path: Path) -> None:
    with open(tmp_path / "sparse", "wb") as file:
        file.truncate(1024 * MB)
    assert disk_usage(tmp_path) < MB


def test_links_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "big.bin", 2)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "to-dir").symlink_to(outside)
    (workspace / "to-file").symlink_to(outside / "big.bin")
    assert disk_usage(workspace) < 64 * 1024


@pytest.mark.parametrize("mode", [0o000, 0o100, 0o400])
def test_a_directory_made_unreadable_is_still_counted(tmp_path: Path, mode: int) -> None:
    write(tmp_path / "hidden" / "inner" / "c.bin", 2)
    (tmp_path / "hidden" / "inner").chmod(mode)
    (tmp_path / "hidden").chmod(mode)
    assert disk_usage(tmp_path) >= 2 * MB


def test_nesting_past_the_depth_fails_closed(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["d"] * (MAX_DEPTH + 1))
    deep.mkdir(parents=True)
    with pytest.raises(PermissionError):
        disk_usage(tmp_path)
    assert WorkspaceQuota(tmp_path, 10 * MB).exceeded()


def test_quota(tmp_path: Path) -> None:
    write(tmp_path / "a.bin", 2)
    assert WorkspaceQuota(tmp_path, 1 * MB).exceeded()
    assert not WorkspaceQuota(tmp_path, 4 * MB).exceeded()


def test_a_missing_workspace_uses_nothing(tmp_path: Path) -> None:
    assert disk_usage(tmp_path / "gone") == 0


MODULE = Path(__file__).parent.parent / "src" / "autan" / "sandbox" / "_workspace_quota.py"


@pytest.mark.skipif(os.geteuid() != 0, reason="not root: the tests above already run as owner")
def test_an_owner_who_is_not_root_opens_hidden_directories_up(tmp_path: Path) -> None:
    """Root reads anything, so as root the measure is taken again as nobody, who owns the tree
    (as a host that is not root owns its sandbox's workspace)."""
    import shutil
    import subprocess
    import tempfile

    setpriv, python = shutil.which("setpriv"), "/usr/bin/python3"
    if setpriv is None or not os.access(python, os.X_OK):
        pytest.skip("needs setpriv and /usr/bin/python3")
    base = Path(tempfile.mkdtemp())
    base.chmod(0o755)  # nobody reaches the tree and a copy of the module (stdlib only)
    module = Path(shutil.copy(MODULE, base / "quota.py"))
    tree = base / "tree"
    write(tree / "hidden" / "inner" / "c.bin", 2)
    for path in (tree, *tree.rglob("*")):
        os.chown(path, 65534, 65534)
    (tree / "hidden" / "inner").chmod(0o000)
    (tree / "hidden").chmod(0o100)
    code = f"import runpy; print(runpy.run_path({str(module)!r})['disk_usage']({str(tree)!r}))"
    drop = [setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    done = subprocess.run([*drop, python, "-c", code], capture_output=True, text=True, check=False)
    shutil.rmtree(base, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 2 * MB
