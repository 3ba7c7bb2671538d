"""The package as users install it: `pip install ./python` into a fresh virtual environment,
and the platform wheel of `make wheel`, which carries libota.so and works with the system
libraries alone (no OTA_LIB, run from outside the source tree).

The virtual environments see the interpreter's site-packages (for cbor2, setuptools and wheel)
so the tests run offline; pip installs with --no-index."""
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBSO = Path(os.environ.get("OTA_LIB") or ROOT / "build" / "libota.so")


def have(module):
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


needs_build_tools = pytest.mark.skipif(not (have("setuptools") and have("wheel") and have("cbor2")),
                                       reason="setuptools, wheel and cbor2 are needed offline")


def make_venv(path):
    venv.EnvBuilder(system_site_packages=True, with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("OTA_LIB", "PYTHONPATH", "LIBOTA_DB", "LIBOTA_ACTOR")}
    env.update(extra)
    return env


def sh(*cmd, cwd, env, check=True):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert p.returncode == 0, f"{cmd}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


SMOKE = """
import libota, sys
with libota.Store(sys.argv[1], bootstrap_admin="root", now=1, actor="root") as s:
    s.grant("erin", "engineer", now=2)
    print(libota.lib._name, s.roles("erin")[0]["role"], s.audit_verify()[0])
"""


@needs_build_tools
def test_pip_install_of_the_source_directory(tmp_path):
    py = make_venv(tmp_path / "venv")
    env = clean_env()
    # a copy of python/ (what a user's checkout holds), so the build leaves the tree alone
    src = tmp_path / "python"
    shutil.copytree(ROOT / "python", src, ignore=shutil.ignore_patterns(
        "tests", "build", "dist", "*.egg-info", "__pycache__", "libota.so"))
    sh(py, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation", src, cwd=tmp_path, env=env)
    site = sh(py, "-c", "import libota, os; print(os.path.dirname(libota.__file__))", cwd=tmp_path, env=env).stdout
    assert site.strip().startswith(str(tmp_path / "venv"))
    # no bundled library: it is found through OTA_LIB
    out = sh(py, "-c", SMOKE, tmp_path / "a.db", cwd=tmp_path, env=clean_env(OTA_LIB=str(LIBSO))).stdout.split()
    assert out == [str(LIBSO), "engineer", "2"]
    # the console script, with a one-line error when the library cannot be found
    cli = tmp_path / "venv" / "bin" / "libota"
    p = sh(cli, "--db", tmp_path / "b.db", "init", "root", cwd=tmp_path, env=clean_env(OTA_LIB=str(LIBSO)))
    assert p.stdout.startswith(f"store {tmp_path / 'b.db'}: schema ")
    p = sh(cli, "--db", tmp_path / "b.db", "audit", "verify", cwd=tmp_path,
           env=clean_env(OTA_LIB=str(tmp_path / "missing.so")), check=False)
    assert p.returncode == 1 and p.stderr.startswith("libota: libota.so not found") and p.stderr.count("\n") == 1


@needs_build_tools
def test_the_wheel_carries_libota_and_needs_only_system_libraries(tmp_path):
    if not LIBSO.exists():
        pytest.skip("no build/libota.so")
    # `make wheel` without remaking the library (-o: take it as up to date)
    sh("make", "--no-print-directory", "-o", "build/libota.so", "wheel", cwd=ROOT, env=clean_env())
    wheels = sorted((ROOT / "build").glob("libota-*.whl"))
    assert len(wheels) == 1 and wheels[0].name.endswith("-py3-none-linux_x86_64.whl")
    with zipfile.ZipFile(wheels[0]) as z:
        names = z.namelist()
        assert "libota/libota.so" in names and "libota/py.typed" in names
        assert "console_scripts" in z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    needed = subprocess.run(["ldd", str(LIBSO)], capture_output=True, text=True).stdout
    libs = sorted({line.split()[0].split(".so")[0] for line in needed.splitlines() if ".so" in line})
    assert not [x for x in libs if "swift" in x]
    assert {"libsqlite3", "libcbor", "libsodium"} <= set(libs)

    py = make_venv(tmp_path / "venv")
    env = clean_env()
    sh(py, "-m", "pip", "install", "-q", "--no-index", wheels[0], cwd=tmp_path, env=env)
    out = sh(py, "-c", SMOKE, tmp_path / "a.db", cwd=tmp_path, env=env).stdout.split()
    assert out[0].startswith(str(tmp_path / "venv")) and out[0].endswith("libota/libota.so")
    assert out[1:] == ["engineer", "2"]
    cli = tmp_path / "venv" / "bin" / "libota"
    sh(cli, "--db", tmp_path / "c.db", "init", "root", cwd=tmp_path, env=env)
    p = sh(cli, "--db", tmp_path / "c.db", "audit", "verify", cwd=tmp_path, env=env)
    assert p.stdout.startswith("audit trail intact: 1 entries")
    shutil.rmtree(tmp_path / "venv")
