import ctypes
import sqlite3

import cbor2
import pytest

import libota
from libota import _native as n
from libota.store import Store, MUSTEXIST


def test_version_matches_header():
    header = (__import__("pathlib").Path(__file__).resolve().parents[2] / "include" / "ota.h").read_text()
    assert f"#define OTA_VERSION_NUMBER {libota.libversion_number()}" in header


def test_open_creates_a_migrated_wal_store(db_path):
    with Store(db_path, bootstrap_admin="alice", now=1700000000) as s:
        assert s.schema_version() >= 3
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT actor, role FROM actor_roles").fetchall() == [("alice", "admin")]


def test_null_arguments_are_misuse_with_a_message():
    out = ctypes.c_void_p()
    assert n.lib.ota_open(None, ctypes.byref(out)) == n.MISUSE
    assert b"path" in n.lib.ota_last_errmsg()
    assert n.lib.ota_open(b":memory:", None) == n.MISUSE
    assert b"out" in n.lib.ota_last_errmsg()
    assert n.lib.ota_close(None) == n.OK
    n.lib.ota_buf_free(None)


def test_unwritable_path_is_a_store_error(tmp_path):
    with pytest.raises(libota.OTAError) as e:
        Store(str(tmp_path / "no" / "such" / "dir" / "x.db"))
    assert e.value.code == n.STORE
    assert "cannot open store" in e.value.message


def test_mustexist_reports_notfound(tmp_path):
    with pytest.raises(libota.OTAError) as e:
        Store(str(tmp_path / "missing.db"), flags=MUSTEXIST)
    assert e.value.code == n.NOTFOUND


def test_newer_store_is_refused_untouched(db_path):
    Store(db_path).close()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA user_version = 999")
    con.commit()
    con.close()
    before = open(db_path, "rb").read()
    with pytest.raises(libota.OTAError) as e:
        Store(db_path)
    assert e.value.code == n.TOONEW and "999" in e.value.message
    assert open(db_path, "rb").read() == before


def test_audit_chain_detects_an_edit(db_path):
    with Store(db_path, bootstrap_admin="alice", now=1700000000) as s:
        assert s.audit_verify() == (1, 0)
        seq, head = s.audit_head()
        entries = cbor2.loads(s.audit_list())
        assert seq == 1 and entries[0]["hash"] == head
        assert entries[0]["action"] == "role.bootstrap" and entries[0]["actor"] == "alice"
    con = sqlite3.connect(db_path)
    con.execute("DROP TRIGGER audit_no_update")
    con.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 1")
    con.commit()
    con.close()
    with Store(db_path) as s:
        with pytest.raises(libota.OTAError) as e:
            s.audit_verify()
        assert e.value.code == n.CORRUPT and e.value.first_bad == 1


def test_audit_list_matches_its_cddl_and_pages(db_path):
    import pycddl
    from pathlib import Path
    schema = pycddl.Schema((Path(__file__).resolve().parents[2] / "docs/schemas/audit.cddl").read_text())
    from libota.roles import grant
    with Store(db_path, bootstrap_admin="alice", now=1700000000) as s:
        for i, who in enumerate(["bob", "carol", "dave"]):
            grant(s, "alice", 1700000001 + i, who, "engineer")
        doc = s.audit_list()
        schema.validate_cbor(doc)
        entries = cbor2.loads(doc)
        assert [e["seq"] for e in entries] == [1, 2, 3, 4]
        assert [e["action"] for e in entries][:2] == ["role.bootstrap", "role.grant"]
        assert entries[-1]["at"] == 1700000003
        page = cbor2.loads(s.audit_list(after=2, limit=1))
        assert [e["seq"] for e in page] == [3]
        assert s.audit_verify() == (4, 0)
