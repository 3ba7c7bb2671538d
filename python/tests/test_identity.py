"""One rule for identities (include/ota.h, conventions): through ctypes, as a binding sees it."""
import ctypes
import os

import pytest
from hypothesis import given, settings, strategies as st

from libota import OTAError, Store
from libota._native import BADINPUT, MISUSE, OK, Buf, lib
from libota.roles import grant, roles
from libota.store import OpenOptions

REFUSED = ["root\n", " root", "root ", "ro\x01ot", "root\x7f", "root\u0085", "\u0085root",
           "ro\u009fot", "root\u00a0", "\u3000root", "", "a" * 257]


@pytest.mark.parametrize("name", REFUSED)
def test_bootstrap_admin_is_refused_at_open(tmp_path, name):
    path = tmp_path / "s.db"
    with pytest.raises(OTAError) as e:
        Store(str(path), bootstrap_admin=name, now=1)
    assert e.value.code == BADINPUT and "bootstrap_admin" in e.value.message
    assert not path.exists()


@pytest.mark.parametrize("name", REFUSED)
def test_who_is_refused(name):
    with Store(":memory:", bootstrap_admin="root", now=1) as s:
        with pytest.raises(OTAError) as e:
            grant(s, "root", 2, name, "engineer")
        assert e.value.code == BADINPUT and "who" in e.value.message
        with pytest.raises(OTAError) as e:
            grant(s, name, 2, "eve", "engineer")
        assert e.value.code == BADINPUT and "actor" in e.value.message


# Printable names without whitespace at the ends are accepted (whitespace inside is fine).
printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
                                  blacklist_characters="\ufeff\u1680"), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(printable)
def test_printable_names_are_accepted(name):
    with Store(":memory:", bootstrap_admin=name, now=1) as s:
        grant(s, name, 2, name + " 2", "engineer")
        assert roles(s, name + " 2")


def test_options_init_gives_the_macro_defaults():
    lib.ota_open_options_init.restype = ctypes.c_int
    lib.ota_open_options_init.argtypes = [ctypes.POINTER(OpenOptions), ctypes.c_uint]
    opts = OpenOptions(0xffff, 7, 9, b"x", 5)
    assert lib.ota_open_options_init(ctypes.byref(opts), 1) == OK
    assert (opts.version, opts.flags, opts.busy_timeout_ms, opts.bootstrap_admin, opts.now) == (1, 0, 0, None, 0)
    assert lib.ota_open_options_init(ctypes.byref(opts), 2) == MISUSE
    assert lib.ota_open_options_init(None, 1) == MISUSE


def test_out_is_cleared_for_a_null_handle():
    lib.ota_roles.restype = ctypes.c_int
    lib.ota_roles.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(Buf)]
    sentinel = (ctypes.c_uint8 * 1)()
    buf = Buf(ctypes.cast(sentinel, ctypes.POINTER(ctypes.c_uint8)), 77)
    assert lib.ota_roles(None, b"root", ctypes.byref(buf)) == MISUSE
    assert not buf.data and buf.len == 0
