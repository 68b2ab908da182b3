"""seatcheck installed as a package (not editable) into a fresh virtualenv runs a checkout's
suite: the plugin and the seat's fixtures come from the installed package (two pytest11 entry
points), the checks from the checkout. The suite is planned (every fixture resolved), not run:
the virtual suite's own run is bin/test's."""

from __future__ import annotations

import shutil
import subprocess
import venv
from pathlib import Path

from conftest import ROOT


def test_installed_package_plans_the_checkouts_suite(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: a build writes into the tree it builds
    tracked = (
        subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True, timeout=60
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, f"expected pip install to succeed; found {install.stderr}"
    plan = subprocess.run(
        # its own pytest script: ``python -m`` would put the checkout first on sys.path
        [str(env_dir / "bin" / "pytest"), "--setup-plan", "--trace-config",
         "-p", "no:cacheprovider", "suites/virtual"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out = plan.stdout + plan.stderr
    site = str(env_dir)
    for module in ("seatcheck.plugin", "seatcheck.fixtures"):
        assert f"<module '{module}' from '{site}" in out, (
            f"expected {module} from the installed package under {site}; found "
            f"{[line for line in out.splitlines() if module in line]}"
        )
    assert "ERROR" not in out and "not found" not in out, out[-3000:]
    assert "SETUP    S seat" in out and "test_glx_" in out, out[-3000:]
