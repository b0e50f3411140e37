"""Reading untrusted files for ingest: which files, how many bytes, in which encoding.

Split from ``ingest`` (the parsers) because each rule here answers a way input once went wrong:

* **Which files.** A folder is walked without following symbolic links out of it (a link to
  ``/etc/passwd`` was once read and a line of a secret file became an event's evidence) and only
  regular files are opened (a FIFO would block the run forever, a device never ends). A file is
  opened without following a last-moment link and checked again after opening, so what is read
  is what was checked.
* **How many bytes.** Files read whole (feeds, HTML, text) are refused above a size limit
  before they are read, and the read itself stops at the limit (a file may grow, or ``stat``
  may say 0, as in ``/proc``). JSON Lines are read in chunks and split into lines here, so an
  overlong line is refused after at most limit + one chunk, and memory stays bounded whatever
  the input.
* **Which encoding.** UTF-8 (with or without BOM) and UTF-16/32 with a BOM; a legacy Arabic
  code page (Windows-1256, ISO-8859-6, CP720, CP864) only when the bytes say so: a declaration
  in the file, or a detection by charset-normalizer whose result reads as Arabic. A file that is
  UTF-8 except for a few bad bytes is *not* legacy: in JSON Lines only the damaged lines are
  refused; a document is refused. Nothing is ever decoded "whatever it takes" into garbage.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024

ARABIC_LEGACY = ("cp1256", "iso8859_6", "cp720", "cp864")
# Declared in a file (XML declaration, HTML meta): read as declared when the bytes are valid in it.
DECLARABLE = frozenset(
    {"utf_8", "utf_16", "utf_16_le", "utf_16_be", "ascii", "latin_1", "iso8859_1", "cp1252"}
) | set(ARABIC_LEGACY)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_DECLARED = re.compile(
    rb"""<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']"""
    rb"""|<meta[^>]{0,300}?charset\s*=\s*["']?([A-Za-z0-9._-]{1,40})""",
    re.I,
)
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_HIGH = re.compile(rb"[\x80-\xff]")


class Refused(Exception):
    """A file or line that is not read; the message names it and says why."""


# ----------------------------------------------------------------------------- which files


@dataclass(frozen=True)
class Entry:
    """A file found in a folder: where to open it, how to name it, or why it is skipped."""

    path: Path
    origin: str
    problem: str | None = None  # set: not read, and this goes into the report
    identity: tuple[int, int] | None = None  # (st_dev, st_ino) checked before opening


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def walk_folder(folder: Path, suffixes: frozenset[str], label: str) -> list[Entry]:
    """Article files under ``folder``, sorted; hidden names and other suffixes silently left out.

    Symbolic links are followed only when they lead to a regular file inside the folder; a link
    out of it, a broken link and special files (FIFO, socket, device) come back with a
    ``problem`` so the report names each skip. Linked folders are never descended into (the
    folder's own subfolders are walked anyway).
    """
    root = folder.resolve()
    found: list[Entry] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename or folder)
        rel = where.relative_to(folder) if where.is_relative_to(folder) else Path(where.name)
        found.append(Entry(where, _origin(label, rel), f"folder cannot be read ({exc.strerror or exc})"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(folder)
        kept = []
        for d in dirnames:
            if d.startswith("."):
                continue
            p = here / d
            if p.is_symlink():
                target = _resolve(p)
                if target is None or not target.is_relative_to(root):
                    found.append(
                        Entry(
                            p,
                            _origin(label, rel_dir / d),
                            "a symbolic link to a folder outside it; not followed",
                        )
                    )
                continue  # a link to a subfolder: that subfolder is walked itself
            kept.append(d)
        dirnames[:] = kept
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in suffixes:
                continue
            found.append(_entry(here / name, _origin(label, rel_dir / name), root))
    return sorted(found, key=lambda e: e.origin)


def _origin(label: str, rel: Path) -> str:
    return (Path(label) / rel).as_posix()


def _resolve(p: Path) -> Path | None:
    try:
        return p.resolve(strict=True)
    except (OSError, RuntimeError):  # broken link, loop
        return None


def _entry(p: Path, origin: str, root: Path) -> Entry:
    try:
        st = os.lstat(p)
    except OSError as exc:
        return Entry(p, origin, f"cannot be read ({exc.strerror or exc})")
    path = p
    if stat.S_ISLNK(st.st_mode):
        target = _resolve(p)
        if target is None:
            return Entry(p, origin, "a broken symbolic link; not read")
        if not target.is_relative_to(root):
            return Entry(p, origin, f"a symbolic link to {target}, outside the folder; not read")
        try:
            st = os.stat(target)
        except OSError as exc:
            return Entry(p, origin, f"cannot be read ({exc.strerror or exc})")
        path = target
    if not stat.S_ISREG(st.st_mode):
        return Entry(p, origin, f"{_kind(st.st_mode)}, not a regular file; not read")
    return Entry(path, origin, None, (st.st_dev, st.st_ino))


def open_regular(path: Path, origin: str, identity: tuple[int, int] | None = None) -> BinaryIO:
    """Open a regular file for reading, refusing FIFOs, devices and a file swapped since it was checked.

    ``O_NONBLOCK`` so that opening a FIFO cannot hang; with ``identity`` (a checked folder entry)
    the last component must not be a link and must still be the inode that was checked.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if identity is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Refused(f"{origin}: cannot be read ({exc.strerror or exc})") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{origin}: {_kind(st.st_mode)}, not a regular file; not read")
        if identity is not None and (st.st_dev, st.st_ino) != identity:
            raise Refused(f"{origin}: changed while the folder was being read; not read")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# ----------------------------------------------------------------------------- how many bytes


def read_capped(
    fh: BinaryIO, limit: int, origin: str, setting: str = "CONFLICTMAP_INGEST_MAX_FILE_BYTES"
) -> bytes:
    """All of ``fh``, or ``Refused`` as soon as more than ``limit`` bytes have come (never more read)."""
    try:
        size = os.fstat(fh.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        size = 0
    if size > limit:
        raise Refused(f"{origin}: {size:,} bytes, more than the limit of {limit:,} ({setting}); not read")
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = fh.read(min(CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise Refused(f"{origin}: more than the limit of {limit:,} bytes ({setting}); not read")
        chunks.append(chunk)


@dataclass(frozen=True)
class Line:
    """One line of a file: its number and bytes (without the newline), or None when too long."""

    number: int
    data: bytes | None
    length: int  # bytes seen; for a too-long line, at least the limit


def iter_lines(fh: BinaryIO, limit: int, chunk: int = CHUNK) -> Iterator[Line]:
    """Split a binary stream into lines, holding at most ``limit`` + ``chunk`` bytes at a time.

    A line longer than ``limit`` is reported (``data=None``) as soon as that is known, and the
    rest of it is then read and dropped a chunk at a time, so the lines after it still come.
    """
    buf = bytearray()
    number = 1
    skipping = False  # inside a too-long line, dropping bytes up to its newline
    while True:
        block = fh.read(chunk)
        if not block:
            break
        buf += block
        while True:
            nl = buf.find(b"\n")
            if skipping:
                if nl < 0:
                    buf.clear()
                    break
                del buf[: nl + 1]
                skipping = False
                number += 1
                continue
            if nl < 0:
                if len(buf) > limit:
                    yield Line(number, None, len(buf))
                    buf.clear()
                    skipping = True
                break
            if nl > limit:
                yield Line(number, None, nl)
            else:
                yield Line(number, bytes(buf[:nl]).removesuffix(b"\r"), nl)
            del buf[: nl + 1]
            number += 1
    if not skipping and buf:
        if len(buf) > limit:
            yield Line(number, None, len(buf))
        else:
            yield Line(number, bytes(buf).removesuffix(b"\r"), len(buf))


class _Transcoded:
    """A binary stream in a BOM-marked UTF-16/32 read back as UTF-8, a chunk at a time.

    Lone surrogates pass through (``surrogatepass``) as bytes that are not valid UTF-8, so the
    line that holds one is refused on its own; a truncated last code unit marks the last line.
    """

    def __init__(self, fh: BinaryIO, encoding: str) -> None:
        self._fh = fh
        self._decoder = codecs.getincrementaldecoder(encoding)("surrogatepass")
        self._done = False

    def read(self, n: int = CHUNK) -> bytes:
        """The next chunk as UTF-8 bytes, b"" at the end.

        ``n`` is how many bytes of the source are read, not how many are returned: transcoding
        changes the length."""
        while not self._done:
            raw = self._fh.read(n)
            try:
                text = self._decoder.decode(raw, final=not raw)
            except UnicodeDecodeError:
                text = "\udfff"  # truncated data at the end: make the last line invalid
            if not raw:
                self._done = True
            out = text.encode("utf-8", "surrogatepass")
            if out:
                return out
        return b""


# ----------------------------------------------------------------------------- which encoding


def bom_encoding(head: bytes) -> tuple[str, str] | None:
    """(codec, name) when ``head`` starts with a byte order mark."""
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return codec, name
    return None


def has_nul(data: bytes) -> bool:
    """NUL bytes in text without a BOM: UTF-16/32 whose BOM is missing, or not text at all.

    Such bytes are valid UTF-8 (NUL is a character), so without this check a file saved as
    UTF-16 without a BOM would be stored with a NUL beside every letter. No news text holds one.
    """
    return b"\x00" in data


def _no_bom_message(origin: str) -> str:
    return (
        f"{origin}: holds NUL bytes: UTF-16 or UTF-32 without a byte order mark, or not text; "
        "save it as UTF-8 or with a BOM; not read"
    )


def _where(data: bytes, pos: int) -> str:
    line = data.count(b"\n", 0, pos) + 1
    col = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}: byte 0x{data[pos]:02x}" if pos < len(data) else f"line {line}"


def declared_encoding(data: bytes) -> str | None:
    """The encoding an XML declaration or HTML ``<meta charset>`` names in the first 4 KB."""
    m = _DECLARED.search(data[:4096])
    if not m:
        return None
    name = (m[1] or m[2]).decode("ascii", "replace")
    try:
        return codecs.lookup(name).name.replace("-", "_")
    except LookupError:
        return name.lower()


def looks_like_damaged_utf8(data: bytes) -> bool:
    """More high bytes in valid UTF-8 sequences than outside them: UTF-8 with a few bad bytes.

    Legacy Arabic text almost never forms valid UTF-8 sequences (its letters are 0xC1-0xFE
    next to each other), so a file that mostly does is UTF-8, and its bad bytes are damage.
    """
    valid = sum(len(m) for m in _UTF8_MULTIBYTE.findall(data))
    high = len(_HIGH.findall(data))
    return valid > high - valid


def detect_legacy_arabic(data: bytes) -> str | None:
    """A legacy Arabic code page the bytes are valid in and read as Arabic, or None."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000], cp_isolation=list(ARABIC_LEGACY)).best()
    if best is None or best.encoding not in ARABIC_LEGACY or best.chaos > 0.2:
        return None
    try:
        text = data.decode(best.encoding)
    except UnicodeDecodeError:
        return None
    letters = [c for c in text if c.isalpha() and ord(c) > 127]
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff")
    return best.encoding if letters and arabic >= 0.8 * len(letters) else None


def decode_document(data: bytes, origin: str, *, declared_ok: bool = False) -> tuple[str, str]:
    """A whole file's bytes -> (text, encoding), or ``Refused`` naming the file and the problem.

    ``declared_ok``: HTML and XML may name their encoding; it is used when the bytes are valid in
    it and it is one this reader knows (UTF-8/16, ASCII, Latin-1, Windows-1252, Arabic pages).
    """
    bom = bom_encoding(data)
    if bom:
        codec, name = bom
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            raise Refused(
                f"{origin}: starts with a {name} byte order mark but is not valid {name}; not read"
            ) from exc
    if has_nul(data):
        raise Refused(_no_bom_message(origin))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    declared = declared_encoding(data) if declared_ok else None
    if declared == "utf_8":
        raise Refused(f"{origin}: not valid UTF-8 as it declares ({_where(data, first_bad)}); not read")
    if declared and declared not in ("utf_16", "utf_16_le", "utf_16_be"):
        if declared not in DECLARABLE:
            raise Refused(
                f"{origin}: declares the encoding {declared!r}, which ingest does not read; not read"
            )
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError as exc:
            raise Refused(
                f"{origin}: not valid {declared} as it declares ({_where(data, exc.start)}); not read"
            ) from exc
    if looks_like_damaged_utf8(data):
        raise Refused(f"{origin}: not valid UTF-8 ({_where(data, first_bad)}); not read")
    legacy = detect_legacy_arabic(data)
    if legacy:
        return data.decode(legacy), legacy
    raise Refused(
        f"{origin}: not valid UTF-8, UTF-16 or a legacy Arabic encoding ({_where(data, first_bad)}); not read"
    )


@dataclass
class DecodedLine:
    """One line of a text file: its text, or None and ``error`` (a message naming file and line)
    when it was refused. ``number`` counts from 1."""

    number: int
    text: str | None
    error: str | None = None


def _classify(fh: BinaryIO, limit: int) -> str | None:
    """After a line that is not UTF-8: 'utf-8' (damaged lines only), a legacy code page, or None.

    Reads the whole stream once more in bounded lines and puts it back where it was.
    """
    here = fh.tell()
    try:
        fh.seek(0)
        valid = high = 0
        sample = bytearray()
        for line in iter_lines(fh, limit):
            if line.data is None:
                continue
            valid += sum(len(m) for m in _UTF8_MULTIBYTE.findall(line.data))
            high += len(_HIGH.findall(line.data))
            if len(sample) < 1_000_000:
                sample += line.data + b"\n"
    finally:
        fh.seek(here)
    if valid > high - valid:
        return "utf-8"
    return detect_legacy_arabic(bytes(sample))


def iter_text_lines(fh: BinaryIO, origin: str, limit: int) -> Iterator[DecodedLine]:
    """Each line of a text stream decoded, or refused on its own (too long, bad bytes).

    The encoding is chosen per file: a BOM says UTF-8/16/32; otherwise UTF-8 line by line, and
    if a line is not UTF-8 the whole file is looked at once: mostly UTF-8 -> only such lines are
    refused; a legacy Arabic code page -> read in it from there on; neither -> the rest of the
    file is refused in one message (its encoding is unknown, so even plain-looking lines are not
    trusted).
    """
    setting = "CONFLICTMAP_INGEST_MAX_LINE_BYTES"
    head = fh.read(1024)
    fh.seek(0)
    bom = bom_encoding(head)
    if not bom and has_nul(head):
        yield DecodedLine(1, None, _no_bom_message(origin))
        return
    stream: BinaryIO = fh
    name = "UTF-8"
    codec: str | None = "utf-8"
    if bom and bom[0] != "utf-8-sig":
        stream = _Transcoded(fh, bom[0])  # type: ignore[assignment]
        name = bom[1]
    elif bom:
        fh.read(3)  # skip the UTF-8 BOM
    classified = bom is not None
    for line in iter_lines(stream, limit):
        n = line.number
        if line.data is None:
            yield DecodedLine(
                n, None, f"{origin}:{n}: line longer than the limit of {limit:,} bytes ({setting}); not read"
            )
            continue
        try:
            yield DecodedLine(n, line.data.decode(codec or "utf-8"))
            continue
        except UnicodeDecodeError as exc:
            bad = exc
        if not classified:
            classified = True
            codec = _classify(fh, limit)
            if codec is None:
                yield DecodedLine(
                    n,
                    None,
                    f"{origin}:{n}: not valid UTF-8, UTF-16 or a legacy Arabic encoding "
                    f"(column {bad.start + 1}: byte 0x{line.data[bad.start]:02x}); "
                    f"this and the following lines not read",
                )
                return
            if codec != "utf-8":
                name = codec
                try:
                    yield DecodedLine(n, line.data.decode(codec))
                    continue
                except UnicodeDecodeError as exc:
                    bad = exc
        column = len(line.data[: bad.start].decode("utf-8", "replace")) + 1
        yield DecodedLine(n, None, f"{origin}:{n}: not valid {name} (column {column}); line not read")


def count_lines(fh: BinaryIO) -> int:
    """Non-blank lines, counted a chunk at a time (for a progress bar: UTF-16 counts roughly)."""
    count = 0
    content = False
    while True:
        block = fh.read(CHUNK)
        if not block:
            break
        parts = block.split(b"\n")
        for i, part in enumerate(parts):
            if part.strip(b" \t\r\x00\xef\xbb\xbf\xff\xfe"):
                content = True
            if i < len(parts) - 1:
                count += content
                content = False
    return count + content
