"""Many proposal documents at once: one zip whose file names start with the 접수번호.

``2023-H-01_사업계획서.pdf`` is the 사업계획서 of the proposal 2023-H-01 (the name after the 접수번호
starts with 사업계획서), ``2023-H-01_첨부1.hwp`` one of its attachments. The same steps as the
applicant import (``proposals.importing.uploads``): upload → preview of what matched which
proposal, what did not and why → confirm. The zip is kept in the database (``ImportUpload``,
kind "documents") with its SHA-256 until confirmed, and only that very file is applied.

How a name is matched: Unicode NFC (a Mac zips Hangul decomposed), case ignored; the longest
접수번호 of the competition that the name starts with, followed by ``_``, ``-``, a space or a
dot; then the document's own name. A 사업계획서 replaces the proposal's 사업계획서; an attachment
replaces the proposal's document of the same file name, or is added. A file identical to the
stored one (same name, same SHA-256) is left as it is.

Zip safety (nothing is ever extracted to disk; the limits are settings next to IMPORT_MAX_*):

- the zip's size (the upload form), its number of entries (``DOCUMENT_ZIP_MAX_FILES``) and the
  bytes it expands to (``DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES``): by the headers first, then as
  read (each file at most ``DOCUMENT_MAX_BYTES`` + 1 bytes). A header that understates a file's
  size cannot smuggle in more: zipfile yields no more than the header says, and the entry then
  fails its CRC (left out as damaged);
- a path that climbs out (``..``) or starts at a root (``/``, ``C:``) refuses the whole zip;
- files are taken from the top of the zip or from one folder that holds everything (a zipped
  folder); a file in a folder inside that is listed as not used;
- two entries of the same name (after NFC, case ignored) are both left out;
- names without the zip's UTF-8 flag are read as UTF-8 if they are, else as CP949 (Korean
  Windows); a name neither can read is left out;
- encrypted, damaged (CRC), linked or unsupported entries are left out, each with its reason;
  files the operating system adds (``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``) are listed as skipped.
"""

import hashlib
import io
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import Competition, ImportUpload, ProposalDocument, audit_context, audit_transaction
from .filetypes import DocumentRefused, check_document, clean_name, extension_of
from .service import require_document_admin, require_reason

PLAN_WORD = "사업계획서"
SEPARATORS = "_- ."
SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
NEW, REPLACE, UNCHANGED = "new", "replace", "unchanged"


class BundleRefused(Exception):
    """The zip as a whole cannot be used; ``message`` says why. Nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Member:
    """One file of the zip, as read."""

    path: str  # its name in the zip as shown (folders included)
    name: str = ""  # the file name a document keeps (NFC)
    content: bytes | None = None
    reason: str = ""  # why it is not used; "" when it can be matched
    skipped: bool = False  # a file the operating system added: listed, not an error

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content or b"").hexdigest()


@dataclass
class Match:
    member: Member
    proposal_id: int
    reference: str
    applicant: str
    kind: str
    action: str  # NEW, REPLACE or UNCHANGED
    replaces: int | None = None  # the document replaced
    replaces_name: str = ""


@dataclass
class BundlePlan:
    matched: list[Match] = field(default_factory=list)
    unmatched: list[Member] = field(default_factory=list)

    @property
    def writes(self) -> list[Match]:
        return [match for match in self.matched if match.action != UNCHANGED]


# --- Reading the zip -------------------------------------------------------------------------


def _decoded_name(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x800:
        return info.filename  # the zip says UTF-8: zipfile decoded it so
    raw = info.filename.encode("cp437")  # zipfile's reading of a name without the flag, undone
    for encoding in ("utf-8", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _unsafe(path: str) -> bool:
    parts = path.split("/")
    return path.startswith("/") or re.match(r"^[A-Za-z]:", path) is not None or ".." in parts


def _is_system_file(path: str) -> bool:
    parts = path.split("/")
    return parts[0] == "__MACOSX" or parts[-1].lower() in SYSTEM_FILES or parts[-1].startswith("._")


def _mb(size: int) -> str:
    return f"{size / 1048576:,.0f}"


def read_members(content: bytes) -> list[Member]:
    """Every file of the zip with its bytes, or why it cannot be used; ``BundleRefused`` when
    the zip as a whole cannot be used."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise BundleRefused(
            _("The file is not a zip archive, or it is damaged. Upload a .zip file made by a zip program.")
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > settings.DOCUMENT_ZIP_MAX_FILES:
            raise BundleRefused(
                _(
                    "The zip holds %(count)s entries; at most %(limit)s are read at once. Split it into smaller zips."
                )
                % {"count": f"{len(infos):,}", "limit": f"{settings.DOCUMENT_ZIP_MAX_FILES:,}"}
            )
        budget = settings.DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES
        declared = sum(info.file_size for info in infos)
        if declared > budget:
            raise BundleRefused(_expands_too_much(budget))
        entries = []
        for info in infos:
            path = _decoded_name(info)
            shown = path if path is not None else info.filename.encode("cp437").decode("utf-8", "replace")
            shown = unicodedata.normalize("NFC", shown).replace("\\", "/")
            if _unsafe(shown):
                raise BundleRefused(
                    _(
                        "The zip holds the path '%(path)s', which points outside the zip (a parent folder "
                        "or an absolute path). Nothing was stored. Make the zip again from the files themselves."
                    )
                    % {"path": shown}
                )
            if info.is_dir():
                continue
            entries.append((info, path, "/".join(part for part in shown.split("/") if part not in ("", "."))))
        members = _folders_resolved([_member(info, path, shown) for info, path, shown in entries])
        used = 0
        for member, (info, _path, _shown) in zip(members, entries, strict=True):
            if member.reason or member.skipped:
                continue
            member.content, member.reason = _read(archive, info, member.name)
            used += len(member.content or b"")
            if used > budget:
                raise BundleRefused(_expands_too_much(budget))
    if not members:
        raise BundleRefused(_("The zip holds no files."))
    _mark_duplicates(members)
    return members


def _expands_too_much(budget: int) -> str:
    return _("The zip expands to more than %(limit)s MB. Nothing was stored. Split it into smaller zips.") % {
        "limit": _mb(budget)
    }


def _member(info: zipfile.ZipInfo, path: str | None, shown: str) -> Member:
    member = Member(path=shown, name=clean_name(shown.rsplit("/", 1)[-1]))
    if path is None:
        member.reason = _(
            "The file name cannot be read (it is neither UTF-8 nor CP949). Rename the file and make the zip again."
        )
    elif _is_system_file(shown):
        member.skipped = True
        member.reason = _("A file the operating system added; skipped.")
    elif info.flag_bits & 0x1:
        member.reason = _(
            "The file is encrypted (password-protected) in the zip. Make the zip without a password."
        )
    elif info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
        member.reason = _("The entry is a link, not a file.")
    elif info.file_size > settings.DOCUMENT_MAX_BYTES:
        member.reason = _too_large(info.file_size)
    return member


def _too_large(size: int) -> str:
    return _("The file is too large (%(size)s MB). A document may be at most %(limit)s MB.") % {
        "size": f"{size / 1048576:,.1f}",
        "limit": _mb(settings.DOCUMENT_MAX_BYTES),
    }


def _folders_resolved(members: list[Member]) -> list[Member]:
    """Files at the top of the zip, or in one folder that holds them all (a zipped folder), are
    used; a file in any other folder is listed with the reason."""
    candidates = [member for member in members if not member.skipped]
    tops = {member.path.split("/")[0] for member in candidates if "/" in member.path}
    common = next(iter(tops)) if len(tops) == 1 and all("/" in m.path for m in candidates) else None
    for member in candidates:
        relative = member.path[len(common) + 1 :] if common else member.path
        if "/" in relative and not member.reason:
            member.reason = _(
                "The file is in a folder inside the zip ('%(folder)s'). Put the files at the top of the zip "
                "(or all in one folder)."
            ) % {"folder": member.path.rsplit("/", 1)[0]}
    return members


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> tuple[bytes | None, str]:
    """The entry's bytes, at most one past the document limit (whatever its header claims)."""
    limit = settings.DOCUMENT_MAX_BYTES
    try:
        with archive.open(info) as entry:
            data = entry.read(limit + 1)
    except NotImplementedError:
        return None, _("The file is compressed with a method that cannot be read. Make the zip with Deflate.")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError):
        return None, _("The file is damaged in the zip and cannot be read. Make the zip again.")
    if len(data) > limit:
        return None, _too_large(len(data))
    return data, ""


def _mark_duplicates(members: list[Member]) -> None:
    seen: dict[str, list[Member]] = {}
    for member in members:
        if not member.skipped and not member.reason:
            seen.setdefault(member.name.casefold(), []).append(member)
    for same in seen.values():
        if len(same) > 1:
            for member in same:
                member.reason = _(
                    "%(count)s files in the zip have this name; none of them is used. Keep one and make the "
                    "zip again."
                ) % {"count": len(same)}
                member.content = None


# --- Matching names to proposals ---------------------------------------------------------------


def plan_bundle(members: list[Member], competition: Competition) -> BundlePlan:
    """What each file is (a 사업계획서 or an attachment of which proposal) and what storing it
    does, against the documents stored now."""
    proposals = {
        unicodedata.normalize("NFC", reference).casefold(): (pk, reference, applicant)
        for pk, reference, applicant in competition.proposals.exclude(reference="").values_list(
            "pk", "reference", "applicant__name"
        )
    }
    stored: dict[int, list[tuple]] = {}
    for row in ProposalDocument.objects.filter(proposal__competition=competition).values_list(
        "proposal_id", "pk", "kind", "original_name", "sha256"
    ):
        stored.setdefault(row[0], []).append(row[1:])
    plan = BundlePlan()
    for member in members:
        if member.reason:
            plan.unmatched.append(member)
            continue
        found = _reference_of(member.name, proposals)
        if isinstance(found, str):
            member.reason = found
            plan.unmatched.append(member)
            continue
        (pk, reference, applicant), rest = found
        kind = ProposalDocument.Kind.PLAN if rest.startswith(PLAN_WORD) else ProposalDocument.Kind.ATTACHMENT
        try:
            check_document(kind, member.name, member.content)
        except DocumentRefused as refused:
            member.reason = refused.message
            plan.unmatched.append(member)
            continue
        plan.matched.append(_action(member, pk, reference, applicant, kind, stored.get(pk, [])))
    _refuse_second_plans(plan)
    return plan


def _reference_of(name: str, proposals: dict):
    """((pk, reference, applicant), the name after it) or why the name matches no proposal."""
    stem = name.rsplit(".", 1)[0] if extension_of(name) else name
    key = unicodedata.normalize("NFC", stem).casefold()
    best = None
    for reference, proposal in proposals.items():
        follows = key.startswith(reference) and (
            len(key) == len(reference) or key[len(reference)] in SEPARATORS
        )
        if follows and (best is None or len(reference) > len(best[0])):
            best = (reference, proposal)
    if best is None:
        guess = re.split(r"[_ ]", stem, maxsplit=1)[0]
        if guess != stem and any(char.isdigit() for char in guess):
            return _(
                "No proposal of this competition has the reference number '%(reference)s'. Check the "
                "reference at the start of the file name."
            ) % {"reference": guess}
        return _(
            "The file name does not start with a reference number (접수번호) of this competition. Name it "
            "like 2023-H-01_사업계획서.pdf."
        )
    reference, proposal = best
    rest = stem[len(reference) :].lstrip(SEPARATORS)
    if not rest:
        return _(
            "The file name has nothing after the reference number. Name it like %(reference)s_사업계획서.pdf "
            "or %(reference)s_첨부1.hwp."
        ) % {"reference": proposal[1]}
    return proposal, unicodedata.normalize("NFC", rest)


def _action(member: Member, pk, reference, applicant, kind, stored: list[tuple]) -> Match:
    match = Match(member, pk, reference, applicant, kind, NEW)
    same_name = next((row for row in stored if row[2].casefold() == member.name.casefold()), None)
    if kind == ProposalDocument.Kind.PLAN:
        target = next((row for row in stored if row[1] == ProposalDocument.Kind.PLAN), None)
        if same_name is not None and same_name is not target:
            target = None
            member.reason = _("The proposal already has an attachment of this name.")
    else:
        target = same_name
        if target is not None and target[1] == ProposalDocument.Kind.PLAN:
            target = None
            member.reason = _("The proposal's project plan already has this name.")
    if target is not None:
        match.replaces, match.replaces_name = target[0], target[2]
        same = target[3] == member.sha256 and target[2] == member.name
        match.action = UNCHANGED if same else REPLACE
    return match


def _refuse_second_plans(plan: BundlePlan) -> None:
    """A proposal gets one 사업계획서: two in the zip are both left out. A match whose name
    clashes with another stored document (``_action``) is left out too."""
    plans: dict[int, list[Match]] = {}
    for match in plan.matched:
        if match.kind == ProposalDocument.Kind.PLAN:
            plans.setdefault(match.proposal_id, []).append(match)
    for matches in plans.values():
        if len(matches) > 1:
            names = ", ".join(match.member.name for match in matches)
            for match in matches:
                match.member.reason = _(
                    "The zip holds more than one project plan for this proposal (%(names)s); none is used."
                ) % {"names": names}
    kept = []
    for match in plan.matched:
        if match.member.reason:
            plan.unmatched.append(match.member)
        else:
            kept.append(match)
    plan.matched = kept


# --- Upload → preview → confirm -------------------------------------------------------------


def summary_of(plan: BundlePlan) -> dict:
    """What the preview page shows, and what the confirmation must find again."""
    matched = [
        {
            "path": match.member.path,
            "name": match.member.name,
            "size": len(match.member.content or b""),
            "sha256": match.member.sha256,
            "proposal_id": match.proposal_id,
            "reference": match.reference,
            "applicant": match.applicant,
            "kind": match.kind,
            "action": match.action,
            "replaces": match.replaces,
            "replaces_name": match.replaces_name,
        }
        for match in plan.matched
    ]
    unmatched = [
        {"path": member.path, "reason": member.reason, "skipped": member.skipped} for member in plan.unmatched
    ]
    counts = {action: sum(row["action"] == action for row in matched) for action in (NEW, REPLACE, UNCHANGED)}
    counts["unmatched"] = sum(not row["skipped"] for row in unmatched)
    counts["skipped"] = sum(row["skipped"] for row in unmatched)
    return {"matched": matched, "unmatched": unmatched, "counts": counts}


def stage_bundle(competition: Competition, filename: str, content: bytes, user) -> ImportUpload:
    """Read and match the zip (nothing stored yet) and keep it, with its preview, until confirmed.
    ``BundleRefused`` (nothing kept) when the zip as a whole cannot be used."""
    require_document_admin(user)
    if len(content) > settings.DOCUMENT_ZIP_MAX_BYTES:
        raise BundleRefused(zip_too_large(len(content)))
    plan = plan_bundle(read_members(content), competition)
    return ImportUpload.objects.create(
        kind=ImportUpload.Kind.DOCUMENTS,
        competition=competition,
        filename=clean_name(filename)[:255],
        content=content,
        sha256=ImportUpload.digest(content),
        uploaded_by=user,
        summary=summary_of(plan),
    )


def zip_too_large(size: int) -> str:
    return _("The zip is too large (%(size)s MB). The limit is %(limit)s MB. Split it into smaller zips.") % {
        "size": f"{size / 1048576:,.1f}",
        "limit": _mb(settings.DOCUMENT_ZIP_MAX_BYTES),
    }


def _fingerprint(rows: list[dict]) -> list[tuple]:
    keys = ("name", "sha256", "proposal_id", "kind", "action", "replaces")
    return sorted(tuple(row[key] for key in keys) for row in rows)


def confirm_bundle(upload_id, sha256: str, user, reason: str) -> tuple[ImportUpload, dict]:
    """Store the documents of the previewed zip, all or none. Refused when the file is not the
    one previewed, was applied already, or the proposals and documents changed since the preview
    (what would be written differs from what was shown)."""
    require_document_admin(user)
    reason = require_reason(reason)
    upload = ImportUpload.objects.get(pk=upload_id, kind=ImportUpload.Kind.DOCUMENTS)
    _check_confirmable(upload, sha256)
    members = read_members(bytes(upload.content))  # read outside the write transaction
    with audit_context(user, reason), audit_transaction(using=DEFAULT_DB_ALIAS):
        upload = ImportUpload.objects.select_for_update().get(pk=upload_id)
        _check_confirmable(upload, sha256)
        plan = plan_bundle(members, upload.competition)
        summary = summary_of(plan)
        if _fingerprint(summary["matched"]) != _fingerprint(upload.summary.get("matched", [])):
            raise BundleRefused(
                _(
                    "The proposals or their documents changed after the preview, so the zip was not applied. "
                    "Upload it again and check the new preview."
                )
            )
        if not plan.writes:
            raise BundleRefused(_("Nothing in the zip needs storing: every matched file is stored already."))
        try:
            for match in plan.writes:
                _store(match)
        except IntegrityError:
            raise BundleRefused(
                _("Another document was saved at the same moment. Nothing was stored; confirm again.")
            ) from None
        audit.record(
            "documents.bulk_applied",
            "importupload",
            upload.pk,
            actor=user,
            competition=upload.competition,
            after={"file": upload.filename, "sha256": upload.sha256, **summary["counts"]},
            reason=reason,
        )
        upload.state = ImportUpload.State.APPLIED
        upload.applied_at = timezone.now()
        upload.summary = summary
        upload.save(update_fields=["state", "applied_at", "summary"])
    return upload, summary


def _store(match: Match) -> None:
    member = match.member
    if match.replaces is not None:
        document = ProposalDocument.objects.get(pk=match.replaces)
    else:
        document = ProposalDocument(proposal_id=match.proposal_id, kind=match.kind)
    document.original_name = member.name
    document.file = ContentFile(member.content, name=member.name)
    document.save()


def _check_confirmable(upload: ImportUpload, sha256: str) -> None:
    if upload.state == ImportUpload.State.APPLIED:
        raise BundleRefused(_("This zip has already been applied."))
    if sha256 != upload.sha256 or not upload.content_matches_digest():
        raise BundleRefused(
            _(
                "The zip is not the one you previewed (its SHA-256 differs). Nothing was stored; upload the "
                "zip again and check the new preview."
            )
        )
