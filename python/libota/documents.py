"""CBOR documents in and out of libota, and their JSON spelling for people and tools.

The C API speaks CBOR (docs/schemas/). In Python a document is a dict (or list) decoded by
cbor2; inputs may be given as a dict or as CBOR bytes. JSON has no byte strings, so in JSON
input a manifest's file hashes (`files[].sha256`) are hex text, converted to bytes here;
JSON output writes every byte string as hex.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Union

import cbor2

from ._native import BADINPUT, IO, OTAError

Document = Union[dict, list]
DocumentInput = Union[dict, list, bytes, bytearray, memoryview]

def encode(doc: DocumentInput) -> bytes:
    """CBOR bytes for a document given as a dict/list (encoded with cbor2) or as bytes."""
    if isinstance(doc, (bytes, bytearray, memoryview)):
        return bytes(doc)
    try:
        return cbor2.dumps(doc)
    except (TypeError, ValueError, cbor2.CBOREncodeError) as e:
        raise OTAError(BADINPUT, f"cannot encode the document as CBOR: {e}") from None


def decode(raw: bytes) -> Any:
    """A CBOR document from the library, as Python objects (dicts, lists, bytes, ...)."""
    return cbor2.loads(raw)


def _file_hashes_from_hex(doc: Any) -> Any:
    """The one byte field of the documents given to libota, a manifest's files[].sha256
    (docs/schemas/package.cddl), from hex text. Nothing else is touched: a campaign spec's
    attribute named "key" or "hash" stays text."""
    files = doc.get("files") if isinstance(doc, dict) else None
    for i, f in enumerate(files if isinstance(files, list) else ()):
        if isinstance(f, dict) and isinstance(f.get("sha256"), str):
            try:
                f["sha256"] = bytes.fromhex(f["sha256"])
            except ValueError:
                raise OTAError(BADINPUT, f"files[{i}].sha256: expected hex text for a byte string, "
                                         f"found {f['sha256'][:80]!r}") from None
    return doc


def from_json(text: str, name: str = "JSON") -> Any:
    """A document from JSON text, a manifest's files[].sha256 converted from hex."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise OTAError(BADINPUT, f"{name}: line {e.lineno} column {e.colno}: {e.msg}") from None
    return _file_hashes_from_hex(obj)


def read_document(path: Union[str, Path]) -> bytes:
    """CBOR bytes from a file: FILE.json is converted (byte fields as hex), any other file is
    taken as CBOR as it is."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise OTAError(IO, f"cannot read {p}: {e.strerror or e}") from None
    if p.suffix.lower() == ".json":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise OTAError(BADINPUT, f"{p}: not UTF-8 text (byte {e.start})") from None
        return encode(from_json(text, str(p)))
    return raw


def to_jsonable(obj: Any) -> Any:
    """A decoded document made of JSON types: bytes become hex text, CBOR tags
    {"tag": n, "value": ...}, non-text map keys text."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).hex()
    if isinstance(obj, cbor2.CBORTag):
        return {"tag": obj.tag, "value": to_jsonable(obj.value)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return str(obj)


def to_json(obj: Any, indent: int = 2) -> str:
    """JSON text of a decoded document (see to_jsonable)."""
    return json.dumps(to_jsonable(obj), indent=indent, ensure_ascii=False)
