"""Which text encoding a file is in: declared, or detected by BOM, then UTF-8, then the
single-byte Windows/Latin-1 fallback most legacy exports use. Streams in chunks."""

from __future__ import annotations

import codecs
from pathlib import Path

from adapters.filedrop._records import FileFormatError

_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Bytes cp1252 leaves undefined: a file holding one of them is read as latin-1 instead.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")


def resolve_encoding(path: Path, declared: str) -> str:
    """The codec to read `path` with. `declared` is a codec name or "auto".

    Raises FileFormatError when the file holds NUL bytes (binary, not text) or does not
    decode with a declared codec, naming the line so the sender can fix it.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    bom = next((name for mark, name in _BOMS if head.startswith(mark)), None)
    if bom is not None and (declared == "auto" or _same_family(declared, bom)):
        return bom
    if declared != "auto":
        _check_decodes(path, declared)
        return declared
    try:
        _check_decodes(path, "utf-8")
    except _NotThisCodec:
        return "latin-1" if _has_cp1252_holes(path) else "cp1252"
    return "utf-8"


def _same_family(declared: str, bom: str) -> bool:
    return codecs.lookup(declared).name.split("-")[0:2] == codecs.lookup(bom).name.split("-")[0:2]


class _NotThisCodec(FileFormatError):
    pass


def _check_decodes(path: Path, codec: str) -> None:
    try:
        decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    except LookupError as error:
        raise FileFormatError(
            f"unknown encoding {codec!r}; set encoding to a Python codec name (utf-8, cp1252, "
            "latin-1, cp037) or to auto"
        ) from error
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if b"\x00" in chunk and "16" not in codec and "32" not in codec:
                nul = line + chunk[: chunk.index(b"\x00")].count(b"\n")
                raise FileFormatError(
                    f"{path.name} holds a NUL byte on line {nul}: it is binary, not {codec} "
                    "text; check the sender exports text, or configure a copybook format"
                )
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                bad = line + chunk[: error.start].count(b"\n")
                raise _NotThisCodec(
                    f"{path.name} is not valid {codec}: byte 0x{chunk[error.start]:02x} on "
                    f"line {bad} cannot be decoded; set encoding to the sender's codec "
                    "(often cp1252 or latin-1) or to auto"
                ) from error
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise _NotThisCodec(
                f"{path.name} ends in the middle of a {codec} character; the file is "
                "truncated or in another encoding"
            ) from error


def _has_cp1252_holes(path: Path) -> bool:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if not _CP1252_HOLES.isdisjoint(chunk):
                return True
    return False
