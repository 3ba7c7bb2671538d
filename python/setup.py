"""setuptools hook: a wheel that carries libota.so (put next to the package by `make wheel`)
is a platform wheel (py3-none-<platform>: ctypes, no CPython ABI); without the library it is
a pure wheel that finds libota.so at run time ($OTA_LIB, the source tree's build/, the
system's library path)."""
from pathlib import Path

from setuptools import setup
from setuptools.dist import Distribution

BUNDLED = (Path(__file__).resolve().parent / "libota" / "libota.so").exists()

try:  # setuptools >= 70.1 has its own bdist_wheel
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = not BUNDLED

    def get_tag(self):
        python, abi, plat = super().get_tag()
        return ("py3", "none", plat) if BUNDLED else (python, abi, plat)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return BUNDLED


setup(distclass=BinaryDistribution, cmdclass={"bdist_wheel": PlatformWheel})
