"""Proposal documents on the pages: the admin's (one proposal's documents, a zip of many), the
reviewer's sheet (its documents section and the document itself: the same answer as the sheet for
anyone else, a stamped copy, a recorded reading) and the official's proposal page (documents and the
reading log by reviewer code). Headers of a served document; request body limits of the uploads."""

import html
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from evaluation.models import Conflict, SecurityPledge
from proposals.documents.service import add_document
from proposals.models import AuditEntry, ImportUpload, ProposalDocument, StoredFile
from tests.documents import hwp_bytes, image_bytes, make_zip, pdf_bytes, pdf_text
from tests.security.test_request_body_limits import MadeUpBody, send, too_large_text

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def written():
    return (
        list(ProposalDocument.objects.order_by("pk").values_list("pk", "sha256")),
        StoredFile.objects.count(),
        ImportUpload.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def admin(user_factory):
    user = user_factory(Role.ADMIN, "page-admin")
    user.first_name = "김관리"
    user.save()
    return user


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def proposal(make_proposal):
    return make_proposal(applicant="울산광역시", reference="2023-H-01")


# --- The admin: one proposal's documents ----------------------------------------------------------


def page_url(proposal):
    return reverse("manage:proposal-documents", args=[proposal.competition.slug, proposal.pk])


def test_an_admin_uploads_replaces_and_deletes_a_document_with_a_reason(as_admin, proposal, admin):
    assert "이 사업에는 아직 문서가 없습니다." in text(as_admin.get(page_url(proposal)))
    response = as_admin.post(
        page_url(proposal),
        {
            "kind": "plan",
            "file": SimpleUploadedFile("사업계획서.pdf", pdf_bytes()),
            "reason": "접수 서류 등록",
        },
    )
    assert response.status_code == 302
    page = text(as_admin.get(page_url(proposal)))
    assert "'사업계획서.pdf' 파일을 저장했습니다." in page and "사업계획서.pdf" in page
    document = proposal.documents.get()
    assert AuditEntry.objects.get(action="proposaldocument.created").reason == "접수 서류 등록"

    response = as_admin.post(
        reverse("manage:document-replace", args=[document.pk]),
        {
            f"r{document.pk}-file": SimpleUploadedFile("수정 계획서.pdf", pdf_bytes(pages=2)),
            f"r{document.pk}-reason": "수정본",
        },
    )
    assert response.status_code == 302
    assert "'사업계획서.pdf' 파일을 '수정 계획서.pdf' 파일로 교체했습니다." in text(
        as_admin.get(page_url(proposal))
    )
    response = as_admin.post(
        reverse("manage:document-delete", args=[document.pk]), {f"d{document.pk}-reason": "잘못 올림"}
    )
    assert response.status_code == 302
    assert "'수정 계획서.pdf' 파일을 삭제했습니다." in text(as_admin.get(page_url(proposal)))
    assert not ProposalDocument.objects.exists()
    entries = AuditEntry.objects.filter(object_type="proposaldocument").order_by("sequence")
    assert list(entries.values_list("action", "reason")) == [
        ("proposaldocument.created", "접수 서류 등록"),
        ("proposaldocument.updated", "수정본"),
        ("proposaldocument.deleted", "잘못 올림"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "plan", "reason": "등록"}, "올릴 파일을 선택해 주세요."),
        (
            {"kind": "plan", "file": ("a.pdf", b""), "reason": "등록"},
            "파일이 비어 있습니다(0바이트). 내용이 있는 파일을 올려 주세요.",
        ),
        (
            {"kind": "plan", "file": ("a.pdf", pdf_bytes()), "reason": ""},
            "변경 사유를 적어 주세요. 사유는 이름과 함께 감사 기록에 남습니다.",
        ),
        (
            {"kind": "plan", "file": ("계획.hwp", hwp_bytes()), "reason": "등록"},
            "사업계획서는 PDF 파일이어야 합니다. '계획.hwp' 파일은 .pdf 파일이 아닙니다.",
        ),
        (
            {"kind": "attachment", "file": ("사진.pdf", image_bytes()), "reason": "등록"},
            "'사진.pdf' 파일은 이름으로는 PDF 문서이지만 내용은 PNG 이미지입니다. 알맞은 확장자로 바꾸거나 맞는 파일을 올려 주세요.",
        ),
    ],
)
def test_a_refused_upload_says_why_next_to_the_field_and_writes_nothing(as_admin, proposal, data, message):
    data = dict(data)
    if "file" in data:
        name, content = data["file"]
        data["file"] = SimpleUploadedFile(name, content)
    before = written()
    response = as_admin.post(page_url(proposal), data)
    assert response.status_code == 400
    assert re.search(r'class="form-hint-invalid"[^>]*>' + re.escape(message), text(response)), message
    assert written() == before


def test_a_second_plan_is_refused_and_a_refused_replacement_keeps_the_stored_file(as_admin, proposal, admin):
    document = add_document(proposal, "plan", "사업계획서.pdf", pdf_bytes(), admin, "등록")
    before = written()
    response = as_admin.post(
        page_url(proposal),
        {"kind": "plan", "file": SimpleUploadedFile("또.pdf", pdf_bytes()), "reason": "등록"},
    )
    assert response.status_code == 400
    assert (
        "이 사업에는 이미 사업계획서가 있습니다. 하나 더 올리지 말고 기존 사업계획서를 교체해 주세요."
        in text(response)
    )
    response = as_admin.post(
        reverse("manage:document-replace", args=[document.pk]),
        {
            f"r{document.pk}-file": SimpleUploadedFile("사진.png", image_bytes()),
            f"r{document.pk}-reason": "교체",
        },
    )
    assert response.status_code == 400
    assert "사업계획서는 PDF 파일이어야 합니다. '사진.png' 파일은 .pdf 파일이 아닙니다." in text(response)
    response = as_admin.post(
        reverse("manage:document-delete", args=[document.pk]), {f"d{document.pk}-reason": " "}
    )
    assert response.status_code == 400
    assert "변경 사유를 적어 주세요. 사유는 이름과 함께 감사 기록에 남습니다." in text(response)
    assert written() == before


def test_the_competition_page_lists_each_proposal_with_its_documents(
    as_admin, proposal, make_proposal, admin
):
    add_document(proposal, "plan", "2023-H-01_사업계획서.pdf", pdf_bytes(), admin, "등록")
    make_proposal(applicant="고양시", reference="2023-H-02")
    page = text(as_admin.get(reverse("manage:documents", args=[proposal.competition.slug])))
    assert "2023-H-01_사업계획서.pdf" in page and "고양시" in page and "아직 문서 없음" in page
    assert reverse("manage:documents", args=[proposal.competition.slug]) in text(
        as_admin.get(reverse("manage:index"))
    )


# --- The admin: a zip of many ----------------------------------------------------------------------


def test_a_zip_is_uploaded_previewed_with_what_did_not_match_and_confirmed(as_admin, proposal, make_proposal):
    make_proposal(applicant="고양시", reference="2023-H-02")
    content = make_zip(
        [
            ("2023-H-01_사업계획서.pdf", pdf_bytes()),
            ("2023-H-02_첨부1.hwp", hwp_bytes()),
            ("2023-H-99_사업계획서.pdf", pdf_bytes()),
        ]
    )
    bulk = reverse("manage:documents-bulk", args=[proposal.competition.slug])
    response = as_admin.post(bulk, {"file": SimpleUploadedFile("제출서류.zip", content)})
    upload = ImportUpload.objects.get(kind=ImportUpload.Kind.DOCUMENTS)
    assert response.status_code == 302 and response.url == reverse(
        "manage:documents-bulk-preview", args=[upload.pk]
    )
    assert not ProposalDocument.objects.exists()
    page = text(as_admin.get(response.url))
    assert "맞춰진 파일: 새 문서 2건, 등록된 문서 교체 0건, 변경 없음 0건. 쓰지 않는 파일: 1건." in page
    assert "이 공모에는 접수번호가 '2023-H-99'인 사업이 없습니다." in page
    assert "확인하면 위 목록대로 문서 2건을 한꺼번에 저장합니다." in page

    confirm = reverse("manage:documents-bulk-confirm", args=[upload.pk])
    response = as_admin.post(confirm, {"sha256": upload.sha256, "reason": ""})
    assert response.status_code == 400 and "변경 사유를 적어 주세요." in text(response)
    response = as_admin.post(confirm, {"sha256": upload.sha256, "reason": "접수 서류 일괄 등록"}, follow=True)
    assert "압축 파일을 적용했습니다: 문서 2건 추가, 0건 교체, 0건 변경 없음." in text(response)
    assert ProposalDocument.objects.count() == 2
    response = as_admin.post(confirm, {"sha256": upload.sha256, "reason": "다시"}, follow=True)
    assert "이 압축 파일은 이미 적용되었습니다." in text(response) and ProposalDocument.objects.count() == 2


def test_a_zip_refused_as_a_whole_says_why_on_the_upload_page_and_keeps_nothing(as_admin, proposal):
    before = written()
    response = as_admin.post(
        reverse("manage:documents-bulk", args=[proposal.competition.slug]),
        {"file": SimpleUploadedFile("x.zip", make_zip([("../x.pdf", pdf_bytes())]))},
    )
    assert response.status_code == 400
    assert "압축 파일에 바깥을 가리키는 경로 '../x.pdf'(상위 폴더 또는 절대 경로)가 있습니다." in text(
        response
    )
    assert written() == before


def test_a_zip_upload_without_a_file_says_so(as_admin, proposal):
    response = as_admin.post(reverse("manage:documents-bulk", args=[proposal.competition.slug]), {})
    assert response.status_code == 400 and "올릴 파일을 선택해 주세요." in text(response)


def test_every_document_upload_is_the_krds_file_upload_with_its_size_limit(
    as_admin, proposal, admin, settings
):
    """No browser's own "Choose File": the one-proposal page (upload and each replacement) and the
    zip page use the KRDS file upload, which checks the size before sending."""
    add_document(proposal, "plan", "사업계획서.pdf", pdf_bytes(), admin, "등록")
    one = text(as_admin.get(page_url(proposal)))
    assert one.count("data-file-upload") == 2  # a new document, and replacing the stored plan
    assert one.count(f'data-max-bytes="{settings.DOCUMENT_MAX_BYTES}"') == 2
    bulk = text(as_admin.get(reverse("manage:documents-bulk", args=[proposal.competition.slug])))
    assert bulk.count("data-file-upload") == 1
    assert f'data-max-bytes="{settings.DOCUMENT_ZIP_MAX_BYTES}"' in bulk
    for page in (one, bulk):
        assert "파일 선택" in page and "portal/file-upload.js" in page


def test_the_name_offered_for_saving_is_harmless():
    from django.utils.http import content_disposition_header

    from portal.documents.views import safe_filename

    assert safe_filename('계획 "최종"\r\nSet-Cookie: x.pdf') == "계획 '최종'  Set-Cookie: x.pdf"
    assert safe_filename("../../a\\b.pdf") == "b.pdf"
    assert content_disposition_header(False, safe_filename('a "b".pdf')) == "inline; filename=\"a 'b'.pdf\""


def test_an_applicant_import_page_never_opens_a_documents_zip(as_admin, proposal, admin):
    from proposals.documents.bundles import stage_bundle

    upload = stage_bundle(
        proposal.competition, "a.zip", make_zip([("2023-H-01_사업계획서.pdf", pdf_bytes())]), admin
    )
    assert as_admin.get(reverse("manage:import-preview", args=[upload.pk])).status_code == 404


# --- Request body limits of the upload pages ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "limit"),
    [
        ("manage:proposal-documents", "proposal", settings.DOCUMENT_MAX_BYTES + 256 * 1024),
        ("manage:document-replace", "document", settings.DOCUMENT_MAX_BYTES + 256 * 1024),
        ("manage:documents-bulk", "competition", settings.DOCUMENT_ZIP_MAX_BYTES + 256 * 1024),
    ],
)
def test_the_document_upload_pages_take_their_files_limit_plus_the_form(
    as_admin, proposal, admin, tmp_path, settings, name, args, limit
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    document = add_document(proposal, "plan", "a.pdf", pdf_bytes(), admin, "등록")
    values = {
        "proposal": [proposal.competition.slug, proposal.pk],
        "document": [document.pk],
        "competition": [proposal.competition.slug],
    }
    url = reverse(name, args=values[args])
    cookies = f"sessionid={as_admin.cookies['sessionid'].value}"
    body = MadeUpBody(limit + 1)
    status, _cookies, page = send(
        url, body, length=limit + 1, cookies=cookies, content_type="multipart/form-data; boundary=x"
    )
    shown = f"{limit / 1048576:,.1f} MB".replace(".0 MB", " MB")
    assert status == 413 and html.escape(too_large_text(shown)) in page
    assert body.read_bytes == 0 and list(tmp_path.iterdir()) == []
    within = MadeUpBody(settings.REQUEST_MAX_BYTES_SIGNED_IN + 1)
    status, _cookies, _page = send(
        url, within, length=within.size, cookies=cookies, content_type="multipart/form-data; boundary=x"
    )
    assert status != 413  # more than an ordinary page takes, within the upload's limit


# --- The reviewer: documents beside the sheet -----------------------------------------------------


@pytest.fixture
def reviewer_setup(make_criteria, make_reviewer, make_assignment, pledged, proposal, admin):
    make_criteria(2)
    reviewer = make_reviewer("kim")
    pledged(reviewer)
    other = make_reviewer("lee")  # assigned first: A; kim is B
    pledged(other)
    make_assignment(proposal, other, confirmed=True)
    assignment = make_assignment(proposal, reviewer, confirmed=True)
    plan = add_document(
        proposal, "plan", "2023-H-01_사업계획서.pdf", pdf_bytes("울산 사업계획서 본문"), admin, "등록"
    )
    attachment = add_document(proposal, "attachment", "첨부1.hwp", hwp_bytes(), admin, "등록")
    return reviewer, assignment, plan, attachment


def document_url(assignment, document):
    return reverse("review:document", args=[assignment.stage.competition.slug, assignment.pk, document.pk])


def test_the_sheet_lists_the_documents_and_a_pdf_comes_stamped_and_recorded(client, reviewer_setup):
    reviewer, assignment, plan, attachment = reviewer_setup
    client.force_login(reviewer.user)
    sheet = client.get(reverse("review:sheet", args=[assignment.stage.competition.slug, assignment.pk]))
    page = text(sheet)
    assert "제안 문서" in page and "2023-H-01_사업계획서.pdf" in page and "첨부1.hwp" in page
    assert document_url(assignment, plan) in page and "평가표 옆에 펼치기" in page
    assert "frame-ancestors 'none'" in sheet["Content-Security-Policy"] and sheet["X-Frame-Options"] == "DENY"

    response = client.get(document_url(assignment, plan))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == "inline; filename*=utf-8''2023-H-01_%EC%82%AC%EC%97%85%EA%B3%84%ED%9A%8D%EC%84%9C.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "default-src 'self'" in policy and "'none'" in policy
    served = response.content
    words = pdf_text(served)
    assert "울산 사업계획서 본문" in words and "평가위원 B" in words and "외부 유출 금지" in words
    entry = AuditEntry.objects.get(action="proposaldocument.read")
    assert entry.actor == reviewer.user and entry.competition_id == plan.proposal.competition_id
    assert entry.after["reviewer_code"] == "B" and entry.after["watermarked"] is True
    assert entry.after["sha256"] == plan.sha256 and entry.after["served_sha256"] != plan.sha256
    import hashlib

    assert (
        entry.after["served_sha256"] == hashlib.sha256(served).hexdigest()
    )  # a leaked copy finds its reading

    download = client.get(document_url(assignment, attachment))
    assert download["Content-Type"] == "application/x-hwp"
    assert download["Content-Disposition"] == "attachment; filename*=utf-8''%EC%B2%A8%EB%B6%801.hwp"
    assert download.content == hwp_bytes()
    assert AuditEntry.objects.filter(action="proposaldocument.read").count() == 2


def test_the_submitted_sheet_lists_the_documents_too(client, reviewer_setup, submit_sheet):
    reviewer, assignment, plan, _attachment = reviewer_setup
    submit_sheet(assignment, [10, 10])
    client.force_login(reviewer.user)
    page = text(client.get(reverse("review:sheet", args=[assignment.stage.competition.slug, assignment.pk])))
    assert "제출한 평가표" in page and document_url(assignment, plan) in page


def test_anyone_else_gets_the_same_answer_as_for_the_sheet(
    client, reviewer_setup, make_reviewer, make_assignment, make_proposal, pledged, user_factory
):
    reviewer, assignment, plan, _attachment = reviewer_setup
    slug = assignment.stage.competition.slug
    # Not confirmed "no conflict" yet: the conflict step, as the sheet.
    assignment.no_conflict_confirmed_at = None
    assignment.save()
    client.force_login(reviewer.user)
    response = client.get(document_url(assignment, plan))
    assert response.status_code == 302 and response.url == reverse(
        "review:conflict", args=[slug, assignment.pk]
    )
    assignment.no_conflict_confirmed_at = timezone.now()
    assignment.save()
    # A document of another proposal through the reviewer's own assignment: not found.
    other_document = add_document(
        make_proposal(), "plan", "남의 것.pdf", pdf_bytes(), user_factory(Role.ADMIN, "a2"), "등록"
    )
    assert client.get(document_url(assignment, other_document)).status_code == 404
    # Before the pledge: the pledge.
    SecurityPledge.objects.filter(reviewer=reviewer).delete()
    response = client.get(document_url(assignment, plan))
    assert response.status_code == 302 and response.url.startswith(reverse("review:pledge", args=[slug]))
    pledged(reviewer)
    # A conflict recorded: gone, as the sheet.
    Conflict.objects.create(
        proposal=plan.proposal, reviewer=reviewer, kind=Conflict.Kind.DECLARED, reason="자문"
    )
    assert client.get(document_url(assignment, plan)).status_code == 404
    # An unassigned reviewer, an official (their own page), anonymous.
    stranger = make_reviewer("park")
    pledged(stranger)
    make_assignment(make_proposal(), stranger, confirmed=True)
    client.force_login(stranger.user)
    assert client.get(document_url(assignment, plan)).status_code == 404
    client.force_login(user_factory(Role.OFFICIAL, "o1"))
    assert client.get(document_url(assignment, plan)).status_code == 403
    client.logout()
    response = client.get(document_url(assignment, plan))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert AuditEntry.objects.filter(action="proposaldocument.read").count() == 0


def test_the_reading_service_checks_the_reader_itself(reviewer_setup, make_reviewer, user_factory):
    """Around the pages (a shell): the same rule."""
    from django.core.exceptions import PermissionDenied

    from evaluation.documents import read_document

    reviewer, assignment, plan, _attachment = reviewer_setup
    with pytest.raises(PermissionDenied):
        read_document(plan, make_reviewer("choi").user, assignment=assignment)
    with pytest.raises(PermissionDenied):
        read_document(plan, reviewer.user)  # a reviewer only through an assignment
    with pytest.raises(PermissionDenied):
        read_document(plan, user_factory(None, "no-role"))
    assert read_document(plan, reviewer.user, assignment=assignment).watermarked


def test_a_document_whose_bytes_were_changed_is_not_served(client, reviewer_setup):
    reviewer, assignment, plan, _attachment = reviewer_setup
    StoredFile.objects.filter(name=plan.file.name).update(content=pdf_bytes(pages=2))
    client.force_login(reviewer.user)
    response = client.get(document_url(assignment, plan))
    assert response.status_code == 409
    assert "'2023-H-01_사업계획서.pdf'의 저장된 파일이 올린 파일과 다릅니다(SHA-256이 다름)." in text(
        response
    )
    assert not AuditEntry.objects.filter(action="proposaldocument.read").exists()


def test_a_pdf_that_cannot_be_stamped_is_served_as_stored_and_recorded_so(client, reviewer_setup, admin):
    reviewer, assignment, plan, _attachment = reviewer_setup
    broken = b"%PDF-1.4\n% a file a viewer may still show, pypdf cannot read\n%%EOF\n"
    document = add_document(plan.proposal, "attachment", "손상.pdf", broken, admin, "등록")
    client.force_login(reviewer.user)
    response = client.get(document_url(assignment, document))
    assert response.status_code == 200 and response.content == broken
    entry = AuditEntry.objects.get(action="proposaldocument.read")
    assert entry.after["watermarked"] is False and entry.after["served_sha256"] == document.sha256


# --- The official: documents and the reading log ----------------------------------------------------


def official_page(stage, proposal):
    return reverse("official:proposal", args=[proposal.competition.slug, stage.code, proposal.pk])


def test_the_official_page_lists_documents_and_who_read_them_by_code(
    client, reviewer_setup, stage, user_factory, admin
):
    reviewer, assignment, plan, _attachment = reviewer_setup
    client.force_login(reviewer.user)
    client.get(document_url(assignment, plan))
    official = user_factory(Role.OFFICIAL, "o-page")
    official.first_name = "박공무"
    official.save()
    client.force_login(official)
    response = client.get(
        reverse("official:document", args=[plan.proposal.competition.slug, plan.proposal_id, plan.pk])
    )
    assert response.status_code == 200 and "담당 공무원 박공무" in pdf_text(response.content)
    page = text(client.get(official_page(stage, plan.proposal)))
    assert "2023-H-01_사업계획서.pdf" in page and "열람 기록" in page
    log = page.split("이 사업 문서의 열람 기록(최근 것부터)", 1)[1].split("</table>", 1)[0]
    assert "평가위원 B (서면평가)" in log and "담당 공무원 박공무" in log
    assert reviewer.name not in log  # a reading names the reviewer by code (SPEC §2)
    assert "제안 문서 등록" in page and "김관리" in page  # uploads and who made them
    client.force_login(admin)
    assert f"평가위원 B (서면평가) — {reviewer.name}" in text(client.get(official_page(stage, plan.proposal)))


def test_the_official_document_url_belongs_to_its_competition_and_proposal(
    client, reviewer_setup, make_proposal, user_factory
):
    _reviewer, _assignment, plan, _attachment = reviewer_setup
    client.force_login(user_factory(Role.OFFICIAL, "o-url"))
    other = make_proposal()
    assert (
        client.get(
            reverse("official:document", args=[plan.proposal.competition.slug, other.pk, plan.pk])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("official:document", args=["no-such", plan.proposal_id, plan.pk])).status_code
        == 404
    )
