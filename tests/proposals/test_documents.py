"""Proposal documents: the checks by content, the database storage behind Django's storage API,
the audited model on every path (service, shell, queryset, admin inline), and removal of bytes."""

import hashlib
import html

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from accounts.roles import Role
from proposals.documents.filetypes import DocumentRefused, check_document, clean_name, detect
from proposals.documents.service import add_document, delete_document, replace_document
from proposals.models import AuditEntry, ProposalDocument, StoredFile, audit_context
from proposals.models.documents import document_storage
from proposals.storage import DatabaseStorage
from tests.documents import encrypted_pdf, hwp_bytes, hwpx_bytes, image_bytes, ooxml_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


def written():
    """Everything storing a document writes."""
    return (
        list(ProposalDocument.objects.values_list("pk", "sha256")),
        StoredFile.objects.count(),
        AuditEntry.objects.count(),
    )


# --- Types by content ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.pdf", pdf_bytes(), "pdf"),
        ("a.hwp", hwp_bytes(), "hwp"),
        ("a.hwpx", hwpx_bytes(), "hwpx"),
        ("a.docx", ooxml_bytes("word/"), "docx"),
        ("a.xlsx", ooxml_bytes("xl/"), "xlsx"),
        ("a.pptx", ooxml_bytes("ppt/"), "pptx"),
        ("a.jpg", image_bytes("JPEG"), "jpeg"),
        ("a.JPEG", image_bytes("JPEG"), "jpeg"),
        ("a.png", image_bytes("PNG"), "png"),
    ],
)
def test_every_accepted_attachment_type_is_recognised_by_its_content(name, content, code):
    assert detect(content).code == code
    assert check_document("attachment", name, content).code == code


@pytest.mark.parametrize(
    ("kind", "name", "content", "message"),
    [
        (
            "plan",
            "계획.hwp",
            hwp_bytes(),
            "사업계획서는 PDF 파일이어야 합니다. '계획.hwp' 파일은 .pdf 파일이 아닙니다.",
        ),
        (
            "attachment",
            "설명.exe",
            b"MZ\x90\x00",
            "'설명.exe': 이 형식의 파일은 저장할 수 없습니다. 저장할 수 있는 형식: "
            "PDF, HWP, HWPX, DOCX, XLSX, PPTX, JPG, JPEG, PNG.",
        ),
        (
            "attachment",
            "사진.pdf",
            image_bytes("PNG"),
            "'사진.pdf' 파일은 이름으로는 PDF 문서이지만 내용은 PNG 이미지입니다. "
            "알맞은 확장자로 바꾸거나 맞는 파일을 올려 주세요.",
        ),
        (
            "plan",
            "사업계획서.pdf",
            b"not a pdf at all",
            "'사업계획서.pdf' 파일은 이름으로는 PDF 문서이지만 내용은 그렇지 않습니다(저장할 수 있는 "
            "어떤 형식도 아닙니다). 맞는 파일인지, 손상되지 않았는지 확인해 주세요.",
        ),
        (
            "attachment",
            "표.xlsx",
            ooxml_bytes("word/"),
            "'표.xlsx' 파일은 이름으로는 Excel 통합 문서이지만 내용은 Word 문서입니다. "
            "알맞은 확장자로 바꾸거나 맞는 파일을 올려 주세요.",
        ),
        (
            "attachment",
            "빈.pdf",
            b"",
            "'빈.pdf' 파일이 비어 있습니다(0바이트). 내용이 있는 파일을 올려 주세요.",
        ),
        (
            "plan",
            "잠김.pdf",
            encrypted_pdf(),
            "'잠김.pdf' 파일은 열 때 암호를 묻기 때문에 평가위원이 읽을 수 없습니다. "
            "암호 없이 저장해 다시 올려 주세요.",
        ),
    ],
)
def test_a_document_of_the_wrong_type_is_refused_with_the_reason(kind, name, content, message):
    with pytest.raises(DocumentRefused) as refused:
        check_document(kind, name, content)
    assert refused.value.message == message


def test_a_pdf_with_an_owner_password_only_opens_and_is_accepted():
    assert check_document("plan", "a.pdf", encrypted_pdf(user_password="")).code == "pdf"


@override_settings(DOCUMENT_MAX_BYTES=1024 * 1024)
def test_a_document_over_the_size_limit_is_refused():
    with pytest.raises(DocumentRefused) as refused:
        check_document("plan", "큰.pdf", pdf_bytes() + b"\n" * 2_000_000)
    assert refused.value.message == "'큰.pdf' 파일이 너무 큽니다(1.9 MB). 문서 한 개는 최대 1 MB입니다."


def test_file_names_are_kept_readable_and_harmless():
    decomposed = "사업계획서.pdf".encode().decode()  # as typed
    import unicodedata

    assert clean_name(unicodedata.normalize("NFD", decomposed)) == "사업계획서.pdf"
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\kim\\첨부\t1.hwp") == "첨부 1.hwp"
    assert clean_name("a" * 300 + ".pdf") == "a" * 196 + ".pdf"


# --- The storage --------------------------------------------------------------------------------


def test_the_documents_alias_keeps_files_in_the_database_through_the_storage_api():
    storage = storages["documents"]
    assert isinstance(storage, DatabaseStorage)
    assert settings.STORAGES["documents"]["BACKEND"] == "proposals.storage.DatabaseStorage"
    name = storage.save("proposals/1/a.pdf", ContentFile(b"%PDF-1.4 x"))
    assert name == "proposals/1/a.pdf" and storage.exists(name) and storage.size(name) == 10
    assert storage.open(name).read() == b"%PDF-1.4 x"
    second = storage.save("proposals/1/a.pdf", ContentFile(b"other"))
    assert second != name and storage.open(second).read() == b"other"  # never overwritten
    assert storage.listdir("proposals") == (["1"], [])
    assert storage.listdir("proposals/1") == ([], sorted([name.rsplit("/", 1)[1], second.rsplit("/", 1)[1]]))
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)
    with pytest.raises(NotImplementedError):
        storage.url(second)


def test_bytes_saved_in_a_transaction_that_rolls_back_are_gone(make_proposal, user_factory):
    proposal = make_proposal()
    admin = user_factory(Role.ADMIN, "doc-admin")
    before = written()
    with pytest.raises(RuntimeError), transaction.atomic():
        add_document(proposal, "plan", "사업계획서.pdf", pdf_bytes(), admin, "등록")
        raise RuntimeError
    assert written() == before


def test_a_deployment_can_point_the_alias_at_another_backend(tmp_path, make_proposal, user_factory):
    stores = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    field = ProposalDocument._meta.get_field("file")
    original = field.storage
    with override_settings(STORAGES=stores):
        # A deployment's setting is read when the model loads (the field's storage callable);
        # here the field is pointed at the overridden alias for the test.
        field.storage = document_storage()
        try:
            document = add_document(
                make_proposal(), "plan", "사업계획서.pdf", pdf_bytes(), user_factory(Role.ADMIN, "a"), "등록"
            )
            assert (tmp_path / document.file.name).read_bytes() == pdf_bytes()
            assert StoredFile.objects.count() == 0
            assert document.read() == pdf_bytes()
        finally:
            field.storage = original


# --- The model and the service: every path --------------------------------------------------------


@pytest.fixture
def admin(user_factory):
    user = user_factory(Role.ADMIN, "doc-admin")
    user.first_name = "관리자"
    user.save()
    return user


def test_storing_a_document_records_what_it_is_and_who_why_in_the_audit_trail(make_proposal, admin):
    proposal = make_proposal()
    content = pdf_bytes("사업계획서")
    document = add_document(proposal, "plan", "사업계획서.pdf", content, admin, "접수 서류 등록")
    assert (document.original_name, document.size, document.content_type) == (
        "사업계획서.pdf",
        len(content),
        "application/pdf",
    )
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.uploaded_by == admin and document.read() == content
    (entry,) = AuditEntry.objects.filter(action="proposaldocument.created")
    assert (entry.actor, entry.reason, entry.competition_id) == (
        admin,
        "접수 서류 등록",
        proposal.competition_id,
    )
    assert entry.after["sha256"] == document.sha256 and entry.after["proposal_id"] == proposal.pk
    assert entry.after["original_name"] == "사업계획서.pdf" and entry.after["file"] == document.file.name


def test_replacing_records_old_and_new_and_removes_the_old_bytes_after_commit(
    make_proposal, admin, django_capture_on_commit_callbacks
):
    document = add_document(make_proposal(), "plan", "v1.pdf", pdf_bytes(), admin, "등록")
    old_name, old_sha = document.file.name, document.sha256
    with django_capture_on_commit_callbacks(execute=True):
        replace_document(document, "v2.pdf", pdf_bytes(pages=2), admin, "수정본 접수")
    (entry,) = AuditEntry.objects.filter(action="proposaldocument.updated")
    assert entry.before["sha256"] == old_sha and entry.after["sha256"] == document.sha256
    assert (entry.before["original_name"], entry.after["original_name"]) == ("v1.pdf", "v2.pdf")
    assert entry.reason == "수정본 접수"
    assert not StoredFile.objects.filter(name=old_name).exists()
    assert StoredFile.objects.filter(name=document.file.name).exists()


def test_deleting_a_document_or_its_proposal_removes_its_bytes(
    make_proposal, admin, django_capture_on_commit_callbacks
):
    proposal = make_proposal()
    first = add_document(proposal, "plan", "a.pdf", pdf_bytes(), admin, "등록")
    add_document(proposal, "attachment", "b.png", image_bytes(), admin, "등록")
    with django_capture_on_commit_callbacks(execute=True):
        delete_document(first, admin, "잘못 올림")
    (entry,) = AuditEntry.objects.filter(action="proposaldocument.deleted")
    assert entry.before["original_name"] == "a.pdf" and entry.reason == "잘못 올림"
    assert StoredFile.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True), audit_context(admin, "접수 취소"):
        proposal.delete()  # the cascade
    assert StoredFile.objects.count() == 0 and not ProposalDocument.objects.exists()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("reason", "변경 사유를 적어 주세요. 사유는 이름과 함께 감사 기록에 남습니다."),
        (
            "official",
            "'doc-official' 계정(역할: 담당 공무원)은 제안 문서 변경에 쓸 수 없습니다. 시스템 관리자만 할 수 있습니다.",
        ),
        (
            "second plan",
            "이 사업에는 이미 사업계획서가 있습니다. 하나 더 올리지 말고 기존 사업계획서를 교체해 주세요.",
        ),
        (
            "same name",
            "이 사업에 같은 이름의 문서가 이미 있습니다. 그 문서를 교체하거나 파일 이름을 바꿔 주세요.",
        ),
    ],
)
def test_the_service_refuses_with_the_reason_and_writes_nothing(
    make_proposal, admin, user_factory, call, message
):
    proposal = make_proposal()
    add_document(proposal, "plan", "사업계획서.pdf", pdf_bytes(), admin, "등록")
    add_document(proposal, "attachment", "첨부.png", image_bytes(), admin, "등록")
    before = written()
    with pytest.raises(DocumentRefused) as refused:
        if call == "reason":
            add_document(proposal, "attachment", "새.png", image_bytes(), admin, "  ")
        elif call == "official":
            add_document(
                proposal,
                "attachment",
                "새.png",
                image_bytes(),
                user_factory(Role.OFFICIAL, "doc-official"),
                "등록",
            )
        elif call == "second plan":
            add_document(proposal, "plan", "다른계획서.pdf", pdf_bytes(), admin, "등록")
        else:
            add_document(proposal, "attachment", "첨부.png", image_bytes(), admin, "등록")
    assert refused.value.message == message
    assert written() == before


def test_a_shell_save_runs_the_same_checks(make_proposal, admin):
    proposal = make_proposal()
    before = written()
    document = ProposalDocument(proposal=proposal, kind="plan", file=ContentFile(image_bytes(), name="x.pdf"))
    with pytest.raises(DocumentRefused):
        document.save()
    assert written() == before
    with audit_context(admin, "셸에서 등록"):
        saved = ProposalDocument.objects.create(
            proposal=proposal, kind="attachment", file=ContentFile(hwp_bytes(), name="붙임.hwp")
        )
    assert (saved.content_type, saved.original_name, saved.uploaded_by) == (
        "application/x-hwp",
        "붙임.hwp",
        admin,
    )
    saved.kind = "plan"  # a HWP is no 사업계획서, whichever way it is changed
    with pytest.raises(DocumentRefused):
        saved.save()
    with pytest.raises(TypeError):
        ProposalDocument.objects.filter(pk=saved.pk).update(sha256="0" * 64)
    (bulk,) = ProposalDocument.objects.bulk_create(
        [
            ProposalDocument(
                proposal=proposal, kind="attachment", file=ContentFile(image_bytes("JPEG"), name="사진.jpg")
            )
        ]
    )
    assert bulk.content_type == "image/jpeg" and StoredFile.objects.filter(name=bulk.file.name).exists()
    assert AuditEntry.objects.filter(action="proposaldocument.created", object_id=str(bulk.pk)).exists()
    with pytest.raises(DocumentRefused):
        ProposalDocument.objects.bulk_create(
            [ProposalDocument(proposal=proposal, kind="attachment", file=ContentFile(b"MZ", name="a.exe"))]
        )


def test_stored_bytes_changed_around_the_application_are_not_served(make_proposal, admin):
    document = add_document(make_proposal(), "plan", "a.pdf", pdf_bytes(), admin, "등록")
    StoredFile.objects.filter(name=document.file.name).update(content=pdf_bytes(pages=3))
    with pytest.raises(DocumentRefused) as refused:
        document.read()
    assert refused.value.message == (
        "'a.pdf'의 저장된 파일이 올린 파일과 다릅니다(SHA-256이 다름). 그래서 보여 드리지 않습니다. "
        "시스템 관리자에게 알려 주세요."
    )


# --- The Django admin: an audited inline on the proposal -----------------------------------------


@pytest.fixture
def staff_admin(user_factory):
    user = user_factory(Role.ADMIN, "doc-staff")
    user.is_staff = True
    user.save()
    return user


def _inline_post(proposal, client, files, reason="관리 화면에서 등록"):
    page = client.get(reverse("admin:proposals_proposal_change", args=[proposal.pk]))
    form = page.context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None and key != "applicant"}
    data.update(
        {
            "competition": proposal.competition_id,
            "track": proposal.track_id,
            "applicant": proposal.applicant_id,
            "national_subsidy": "200",
            "local_matching": "200",
            "status": proposal.status,
            "solutions": "[]",
            "partners": "[]",
            "audit_reason": reason,
            "documents-TOTAL_FORMS": str(len(files)),
            "documents-INITIAL_FORMS": "0",
            "documents-MIN_NUM_FORMS": "0",
            "documents-MAX_NUM_FORMS": "1000",
        }
    )
    for index, (kind, upload) in enumerate(files):
        data[f"documents-{index}-kind"] = kind
        data[f"documents-{index}-file"] = upload
        data[f"documents-{index}-original_name"] = ""
    return client.post(reverse("admin:proposals_proposal_change", args=[proposal.pk]), data)


def test_the_admin_inline_stores_checked_documents_with_the_forms_reason(client, staff_admin, make_proposal):
    from django.core.files.uploadedfile import SimpleUploadedFile

    proposal = make_proposal()
    client.force_login(staff_admin)
    before = written()
    response = _inline_post(proposal, client, [("plan", SimpleUploadedFile("x.pdf", image_bytes()))])
    assert response.status_code == 200
    assert "'x.pdf' 파일은 이름으로는 PDF 문서이지만 내용은 PNG 이미지입니다." in html.unescape(
        response.content.decode()
    )
    assert written() == before
    response = _inline_post(proposal, client, [("plan", SimpleUploadedFile("계획.pdf", pdf_bytes()))])
    assert response.status_code == 302, response.content.decode()[:3000]
    document = proposal.documents.get()
    assert (document.original_name, document.uploaded_by) == ("계획.pdf", staff_admin)
    entry = AuditEntry.objects.get(action="proposaldocument.created")
    assert (entry.actor, entry.reason) == (staff_admin, "관리 화면에서 등록")
    assert client.get(reverse("admin:proposals_proposal_change", args=[proposal.pk])).status_code == 200
    assert client.get(reverse("admin:proposals_proposaldocument_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:proposals_proposaldocument_change", args=[document.pk])).status_code == 200
    )
