"""Decide the text encoding of an input file, and open it as a text stream that marks bad bytes.

Chinese exports arrive as UTF-8 (with or without a BOM), GB18030/GBK (Windows tools, older news
databases) or Big5 (Taiwan/Hong Kong sources). :func:`detect_encoding` reads a sample (1 MiB by default),
and decides:

1. a byte-order mark settles it (``utf-8-sig``; UTF-16/32 files are refused with a conversion hint);
2. NUL bytes or many control bytes mean a binary file (:class:`BinaryFileError`);
3. a sample that decodes as strict UTF-8 is UTF-8;
4. otherwise each of GB18030 and Big5 that decodes the sample strictly is scored by the share of its
   Han characters that lie in that encoding's block of *common* characters (GB2312 level 1, Big5
   frequent characters); charset-normalizer breaks ties. Big5 bytes almost always decode as GB18030 too,
   but into rare characters (笰チ癚羱…), so the common-character share separates the two.
5. if nothing fits, :class:`~stigmascope.errors.InputError` tells the user to pass ``--encoding``.

Example:
    >>> from corpora.encoding import detect_encoding
    >>> detect_encoding("weibo_export.csv")       # doctest: +SKIP
    'gb18030'
"""

from __future__ import annotations

import codecs
import gzip
import io
from pathlib import Path
from typing import BinaryIO

from stigmascope.errors import InputError

__all__ = ["BAD_BYTE", "BinaryFileError", "check_decodes", "detect_encoding", "normalise_encoding_name", "open_binary", "open_text"]

#: Private-use character (plane 15) that replaces undecodable bytes; records containing it are rejected
#: with reason ``encoding``. Real text essentially never contains plane-15 private-use characters.
BAD_BYTE = "\U000f0000"
_HANDLER = "stigmascope-mark"
_SAMPLE = 1 << 20
_CANDIDATES = ("gb18030", "big5")
_BINARY_MAGIC = {
    b"PK\x03\x04": "a ZIP/XLSX/DOCX archive", b"%PDF": "a PDF", b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image", b"SQLite format 3": "an SQLite database",
    b"\xd0\xcf\x11\xe0": "an old Office (XLS/DOC) file", b"PAR1": "a Parquet file",
}


class BinaryFileError(InputError):
    """The file is not text (NUL bytes, control bytes, or a known binary signature)."""


def _mark_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):  # pragma: no cover - only decoding uses the handler
        raise exc
    return BAD_BYTE, exc.end


def _register_handler() -> str:
    try:
        codecs.lookup_error(_HANDLER)
    except LookupError:
        codecs.register_error(_HANDLER, _mark_bad_bytes)
    return _HANDLER


def normalise_encoding_name(name: str) -> str:
    """Return Python's canonical codec name for ``name``, or raise InputError for an unknown one."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise InputError(f"unknown encoding {name!r}; use a Python codec name such as utf-8, gb18030, big5, "
                         "or --encoding auto") from None
    return "gb18030" if canonical in ("gbk", "gb2312") else canonical  # GB18030 is a superset of both


def open_binary(path: str | Path) -> BinaryIO:
    """Open a file for reading bytes, transparently decompressing ``.gz`` (recognised by its magic)."""
    p = Path(path)
    fh: BinaryIO = open(p, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if fh.read(2) == b"\x1f\x8b":
        fh.close()
        return gzip.open(p, "rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh


def _read_sample(path: Path, size: int) -> bytes:
    with open_binary(path) as fh:
        return fh.read(size)


def _check_binary(sample: bytes, path: Path) -> None:
    for magic, what in _BINARY_MAGIC.items():
        if sample.startswith(magic):
            raise BinaryFileError(f"binary file ({what}), not text; export it as CSV, JSON Lines or Parquet "
                                  "first (Parquet: --format parquet)", path=str(path))
    nul = sample.count(b"\x00")
    if nul > max(8, len(sample) // 1000):  # a stray NUL in a record is that record's problem
        raise BinaryFileError(f"binary file ({nul} NUL bytes in the first {len(sample):,}), not text; "
                              "remove it from the paths or convert it to CSV/JSON Lines", path=str(path))
    control = sum(1 for b in sample[:65536] if b < 0x20 and b not in (9, 10, 12, 13, 27))
    if sample and control / min(len(sample), 65536) > 0.05:
        raise BinaryFileError(f"binary file ({control} control bytes in the first 64 KiB), not text; "
                              "remove it from the paths or convert it to CSV/JSON Lines", path=str(path))


def _strict(sample: bytes, encoding: str, *, truncated: bool) -> str | None:
    """Decode strictly; a multi-byte character cut at the sample's end is forgiven when ``truncated``."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(sample, final=not truncated)
    except UnicodeDecodeError:
        return None


def _mostly_utf8(sample: bytes) -> bool:
    """True when the sample's non-ASCII lines are UTF-8 but for a few bad records (≤ 2, or ≤ 5%)."""
    lines = [ln for ln in sample.split(b"\n")[:-1] if not ln.isascii()]
    good = 0
    for ln in lines:
        try:
            ln.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            pass
    bad = len(lines) - good
    return good > 2 * bad and bad <= max(2, len(lines) // 20)


def check_decodes(path: str | Path, encoding: str, *, sample_bytes: int = _SAMPLE) -> None:
    """Raise InputError when a user-chosen encoding fails on more than 20% of the sample's lines."""
    sample = _read_sample(Path(path), sample_bytes)
    lines = sample.split(b"\n")
    if len(sample) == sample_bytes:
        lines = lines[:-1]
    lines = [ln for ln in lines if ln and not ln.isascii()]
    if not lines:
        return
    bad = 0
    for ln in lines:
        try:
            ln.decode(encoding)
        except UnicodeDecodeError:
            bad += 1
    if bad >= 3 and bad / len(lines) > 0.2:
        raise InputError(f"{bad} of the first {len(lines)} non-ASCII lines do not decode as {encoding}; "
                         "pass the right --encoding or --encoding auto", path=str(path))


def _common_share(text: str, encoding: str) -> tuple[float, int]:
    """Share of Han characters in the encoding's block of common characters, and the Han count."""
    han = common = 0
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or ch >= "\U00020000":
            han += 1
            try:
                b = ch.encode(encoding)
            except UnicodeEncodeError:
                continue
            if len(b) != 2:
                continue
            if encoding == "gb18030" and 0xB0 <= b[0] <= 0xD7 or encoding == "big5" and 0xA4 <= b[0] <= 0xC6:  # GB2312 level 1: 3,755 common characters
                common += 1
    return (common / han if han else 0.0), han


def detect_encoding(path: str | Path, *, sample_bytes: int = _SAMPLE) -> str:
    """Decide a file's text encoding from a sample.

    Args:
        path: the file (``.gz`` is decompressed first).
        sample_bytes: how many leading bytes to examine.

    Returns:
        A Python codec name: ``utf-8``, ``utf-8-sig``, ``gb18030`` or ``big5``.

    Raises:
        BinaryFileError: the file is not text.
        InputError: no candidate encoding fits; the message says to pass ``--encoding``.
    """
    p = Path(path)
    sample = _read_sample(p, sample_bytes)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("UTF-16/UTF-32 text is not supported; convert it first, e.g. "
                         f"`iconv -f UTF-16 -t UTF-8 {p.name} > {p.stem}.utf8{p.suffix}`", path=str(p))
    _check_binary(sample, p)
    truncated = len(sample) == sample_bytes
    if _strict(sample, "utf-8", truncated=truncated) is not None or _mostly_utf8(sample):
        return "utf-8"
    scores: dict[str, tuple[float, int]] = {}
    for enc in _CANDIDATES:
        text = _strict(sample, enc, truncated=truncated)
        if text is not None:
            scores[enc] = _common_share(text, enc)
    plausible = {enc: s for enc, (s, han) in scores.items() if han >= 2 and s >= 0.5}
    if len(plausible) == 1:
        return next(iter(plausible))
    if len(plausible) == 2:
        ranked = sorted(plausible.items(), key=lambda kv: kv[1], reverse=True)
        if ranked[0][1] - ranked[1][1] >= 0.2:
            return ranked[0][0]
        guess = _charset_normalizer_guess(sample)
        if guess in plausible:
            return guess
    tried = ", ".join(f"{enc}: {s:.0%} common characters" for enc, (s, _) in scores.items()) or \
        "neither GB18030 nor Big5 decodes it"
    raise InputError(f"cannot decide the text encoding (not UTF-8; {tried}); pass --encoding NAME "
                     "(e.g. --encoding gb18030 or --encoding big5)", path=str(p))


def _charset_normalizer_guess(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(_CANDIDATES)).best()
    return normalise_encoding_name(best.encoding) if best is not None else None


def open_text(path: str | Path, encoding: str, *, newline: str | None = None) -> tuple[io.TextIOWrapper, BinaryIO]:
    """Open ``path`` as text; undecodable bytes become :data:`BAD_BYTE` instead of raising.

    Returns:
        The text stream and the underlying binary stream (whose ``tell()`` gives bytes read so far).
    """
    raw = open_binary(path)
    text = io.TextIOWrapper(raw, encoding=encoding, errors=_register_handler(), newline=newline)  # type: ignore[arg-type]
    return text, raw
