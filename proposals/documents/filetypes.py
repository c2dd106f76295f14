"""What a proposal document may be, judged by its content (magic bytes), not its name alone.

A 사업계획서 must be a PDF: reviewers read it in the browser's own PDF viewer beside the sheet.
An attachment may be one of the formats a ministry's applicants send: PDF, 한글 (HWP 5 and HWPX),
Word, Excel and PowerPoint (DOCX/XLSX/PPTX), JPEG and PNG images. The file name's extension must
be one of these and the content must be of that type: a PNG renamed ``.pdf`` is refused, and so is
a file no check recognises. Old binary Office files (.doc/.xls/.ppt), ZIP archives and anything
executable are not accepted; applicants convert them to PDF.

How each type is recognised (the first bytes, and for the ZIP-based formats the names inside):

- PDF: ``%PDF-`` within the first 1,024 bytes (as viewers accept it); one that asks for a password
  to open is refused (a reviewer could not read it).
- HWP 5: an OLE compound file (``D0 CF 11 E0 A1 B1 1A E1``) holding the ``HWP Document File``
  signature of its FileHeader stream.
- HWPX: a ZIP whose ``mimetype`` entry says ``application/hwp+zip``.
- DOCX/XLSX/PPTX: a ZIP holding ``[Content_Types].xml`` and ``word/``, ``xl/`` or ``ppt/``.
- JPEG: ``FF D8 FF``. PNG: ``89 50 4E 47 0D 0A 1A 0A``.

Every refusal is a ``DocumentRefused`` with a Korean sentence that says what to do.
"""

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class DocumentRefused(ValidationError):
    """A document that cannot be stored; ``message`` says why and what to do."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message, code=code)
        self.message = message


@dataclass(frozen=True)
class FileType:
    code: str
    label: object  # lazily translated name ("PDF 문서")
    extensions: tuple[str, ...]
    content_type: str
    inline: bool = False  # shown in the browser (PDF) rather than downloaded


PDF = FileType("pdf", gettext_lazy("PDF document"), ("pdf",), "application/pdf", inline=True)
HWP = FileType("hwp", gettext_lazy("Hangul (HWP) document"), ("hwp",), "application/x-hwp")
HWPX = FileType("hwpx", gettext_lazy("Hangul (HWPX) document"), ("hwpx",), "application/hwp+zip")
DOCX = FileType(
    "docx",
    gettext_lazy("Word document"),
    ("docx",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
XLSX = FileType(
    "xlsx",
    gettext_lazy("Excel workbook"),
    ("xlsx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
PPTX = FileType(
    "pptx",
    gettext_lazy("PowerPoint presentation"),
    ("pptx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
JPEG = FileType("jpeg", gettext_lazy("JPEG image"), ("jpg", "jpeg"), "image/jpeg")
PNG = FileType("png", gettext_lazy("PNG image"), ("png",), "image/png")

ATTACHMENT_TYPES = (PDF, HWP, HWPX, DOCX, XLSX, PPTX, JPEG, PNG)
PLAN_TYPES = (PDF,)
BY_EXTENSION = {extension: filetype for filetype in ATTACHMENT_TYPES for extension in filetype.extensions}
BY_CONTENT_TYPE = {filetype.content_type: filetype for filetype in ATTACHMENT_TYPES}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OFFICE_FOLDERS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
NAME_MAX = 200  # characters of a stored file name (a document's display name)


def allowed_extensions_text(kind: str) -> str:
    types = PLAN_TYPES if kind == "plan" else ATTACHMENT_TYPES
    return ", ".join(extension.upper() for filetype in types for extension in filetype.extensions)


def clean_name(name: str) -> str:
    """A file name as shown and offered for saving: its last path part, Unicode NFC (a Mac zips
    Hangul decomposed), no control characters, at most ``NAME_MAX`` characters (the extension
    kept)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    name = PurePosixPath(name).name if "/" in name else name
    name = "".join(" " if unicodedata.category(char).startswith("C") else char for char in name).strip()
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        keep = NAME_MAX - len(extension) - 1 if dot and len(extension) <= 10 else NAME_MAX
        name = f"{stem[:keep]}.{extension}" if dot and len(extension) <= 10 else name[:NAME_MAX]
    return name


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def detect(content: bytes) -> FileType | None:
    """The type the content is, by its bytes; None when none of the accepted types."""
    if b"%PDF-" in content[:1024]:
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(OLE_MAGIC):
        return HWP if b"HWP Document File" in content else None
    if content.startswith(b"PK\x03\x04"):
        return _zip_based(content)
    return None


def _zip_based(content: bytes) -> FileType | None:
    """HWPX or an Office Open XML file, from the names inside (only the ``mimetype`` entry of a
    HWPX, a few bytes, is decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100:
                    with archive.open(info) as entry:
                        if entry.read(100).strip() == b"application/hwp+zip":
                            return HWPX
            if "[Content_Types].xml" in names:
                for folder, filetype in OFFICE_FOLDERS.items():
                    if any(name.startswith(folder) for name in names):
                        return filetype
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, ValueError, OSError, EOFError):
        return None
    return None


def _size_text(size: int) -> str:
    return f"{size / 1048576:,.1f}"


def check_document(kind: str, name: str, content: bytes) -> FileType:
    """The document's type if ``content`` may be stored as a ``kind`` ("plan" or "attachment")
    named ``name``; else ``DocumentRefused`` with the reason."""
    name = clean_name(name)
    if not name:
        raise DocumentRefused(_("The file has no name. Give it a name such as 사업계획서.pdf."), "no_name")
    if not content:
        raise DocumentRefused(
            _("'%(name)s' is empty (0 bytes). Upload the file with its content.") % {"name": name}, "empty"
        )
    limit = settings.DOCUMENT_MAX_BYTES
    if len(content) > limit:
        raise DocumentRefused(
            _("'%(name)s' is too large (%(size)s MB). A document may be at most %(limit)s MB.")
            % {"name": name, "size": _size_text(len(content)), "limit": f"{limit / 1048576:,.0f}"},
            "too_large",
        )
    extension = extension_of(name)
    allowed = PLAN_TYPES if kind == "plan" else ATTACHMENT_TYPES
    named = BY_EXTENSION.get(extension)
    if kind == "plan" and named is not PDF:
        raise DocumentRefused(
            _("The project plan must be a PDF file; '%(name)s' is not a .pdf file.") % {"name": name},
            "plan_not_pdf",
        )
    if named is None or named not in allowed:
        raise DocumentRefused(
            _("'%(name)s': files of this type cannot be stored. Allowed: %(allowed)s.")
            % {"name": name, "allowed": allowed_extensions_text(kind)},
            "extension",
        )
    found = detect(content)
    if found is not named:
        if found is None:
            raise DocumentRefused(
                _(
                    "'%(name)s' is named as a %(expected)s, but its content is not one (nor any type that "
                    "can be stored). Check that it is the right file and not damaged."
                )
                % {"name": name, "expected": named.label},
                "content",
            )
        raise DocumentRefused(
            _(
                "'%(name)s' is named as a %(expected)s, but its content is a %(found)s. Give it the right "
                "extension or upload the right file."
            )
            % {"name": name, "expected": named.label, "found": found.label},
            "content",
        )
    if found is PDF and pdf_needs_password(content):
        raise DocumentRefused(
            _(
                "'%(name)s' asks for a password to open, so reviewers could not read it. Save it "
                "without a password and upload it again."
            )
            % {"name": name},
            "password",
        )
    return found


def pdf_needs_password(content: bytes) -> bool:
    """True when the PDF cannot be opened without a password (an owner password that only
    limits printing or copying opens without one)."""
    if b"/Encrypt" not in content:
        return False
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content))
        if not reader.is_encrypted:
            return False
        return reader.decrypt("") == PasswordType.NOT_DECRYPTED
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        # Unreadable here (browsers are more lenient), or an encryption pypdf cannot open without
        # a crypto library (DependencyError): not refused for that.
        return False
