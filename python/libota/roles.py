"""Roles of actors (include/ota.h, section "Roles"): grant, revoke, list. The raw layer
(CBOR bytes); Store.grant / revoke / roles are the same with dicts."""
from ._native import cstr, lib


def grant(store, actor, now, who, role):
    store.check(lib.ota_grant(store.handle, cstr(actor), now, cstr(who), cstr(role)))


def revoke(store, actor, now, who, role):
    store.check(lib.ota_revoke(store.handle, cstr(actor), now, cstr(who), cstr(role)))


def roles(store, who):
    """The role-grants document (CBOR bytes, docs/schemas/roles.cddl)."""
    return store.call_buf(lib.ota_roles, cstr(who))
