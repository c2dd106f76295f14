"""Real files of each accepted document type (and a few that are not), made in memory for the
document tests, and a zip builder that can write what zip programs write: names with or without
the UTF-8 flag (CP949 names from Korean Windows), folders, duplicates, paths that climb out."""

import io
import zipfile

from PIL import Image
from pypdf import PdfReader, PdfWriter


def pdf_bytes(text: str = "", pages: int = 1, size=(595, 842)) -> bytes:
    """A PDF of ``pages`` pages; with ``text``, the text drawn on each (Korean included)."""
    if text:
        from proposals.documents.pdf import FAMILY, korean_pdf

        pdf = korean_pdf(unit="pt", format=size)
        for _page in range(pages):
            pdf.add_page()
            pdf.set_font(FAMILY, "", 14)
            pdf.text(40, 80, text)
        return bytes(pdf.output())
    writer = PdfWriter()
    for _page in range(pages):
        writer.add_blank_page(*size)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(user_password: str = "secret", owner_password: str = "owner") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(out, kind)
    return out.getvalue()


def hwp_bytes() -> bytes:
    """The start of a HWP 5 file: an OLE compound file whose FileHeader stream carries the
    signature (enough for the content check, which reads no further)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"HWP Document File" + b"\x00" * 512


def ooxml_bytes(folder: str) -> bytes:
    """A DOCX ("word/"), XLSX ("xl/") or PPTX ("ppt/") package skeleton."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<x/>")
    return out.getvalue()


def hwpx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/hwp+zip")
        archive.writestr("Contents/section0.xml", "<x/>")
    return out.getvalue()


def make_zip(entries, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``entries``: (name, bytes) pairs, or (name, bytes, options) with options
    ``encoding`` ("cp949": the name stored as CP949 bytes without the UTF-8 flag, as Korean
    Windows writes it), ``raw_name`` (these bytes stored as the name, no UTF-8 flag) and ``mode``
    (the Unix file mode, e.g. a symbolic link)."""
    out = io.BytesIO()
    raw_names = {}
    with zipfile.ZipFile(out, "w", compression) as archive:
        for index, entry in enumerate(entries):
            name, content, options = (*entry, {}) if len(entry) == 2 else entry
            raw = options.get("raw_name")
            if raw is None and options.get("encoding"):
                raw = name.encode(options["encoding"])
            if raw is not None:
                # zipfile writes a non-ASCII name as UTF-8 with the flag: write an ASCII stand-in
                # of the same length and put the raw bytes in its place afterwards.
                name = f"@{index}@".ljust(len(raw), "@")
                assert len(name) == len(raw), "raw names need at least 3 bytes here"
                raw_names[name.encode("ascii")] = raw
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            if options.get("mode") is not None:
                info.create_system = 3
                info.external_attr = options["mode"] << 16
            archive.writestr(info, content)
    data = out.getvalue()
    for stand_in, raw in raw_names.items():
        data = data.replace(stand_in, raw)
    return data


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
