"""Roles of actors (include/ota.h, section "Roles"): grant, revoke, list."""
import ctypes

from ._native import Buf, cstr, fn, lib
from .store import c_db

fn("ota_grant", ctypes.c_int, c_db, ctypes.c_char_p, ctypes.c_int64, ctypes.c_char_p, ctypes.c_char_p)
fn("ota_revoke", ctypes.c_int, c_db, ctypes.c_char_p, ctypes.c_int64, ctypes.c_char_p, ctypes.c_char_p)
fn("ota_roles", ctypes.c_int, c_db, ctypes.c_char_p, ctypes.POINTER(Buf))


def grant(store, actor, now, who, role):
    store.check(lib.ota_grant(store.handle, cstr(actor), now, cstr(who), cstr(role)))


def revoke(store, actor, now, who, role):
    store.check(lib.ota_revoke(store.handle, cstr(actor), now, cstr(who), cstr(role)))


def roles(store, who):
    """The role-grants document (CBOR bytes, docs/schemas/roles.cddl)."""
    return store.call_buf(lib.ota_roles, cstr(who))
