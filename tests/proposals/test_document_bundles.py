"""A zip of proposal documents matched by 접수번호: what matches which proposal and what does not
(each with its exact reason), the zip's safety limits, and the confirmation of exactly the zip
previewed, all or nothing."""

import stat
import unicodedata
import zipfile

import pytest
from django.test import override_settings

from accounts.roles import Role
from proposals.documents.bundles import (
    BundleRefused,
    confirm_bundle,
    plan_bundle,
    read_members,
    stage_bundle,
)
from proposals.documents.filetypes import DocumentRefused
from proposals.documents.service import add_document
from proposals.models import AuditEntry, ImportUpload, ProposalDocument, StoredFile
from tests.documents import hwp_bytes, image_bytes, make_zip, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(user_factory):
    return user_factory(Role.ADMIN, "zip-admin")


@pytest.fixture
def proposals(make_proposal):
    return {
        reference: make_proposal(reference=reference)
        for reference in ("2023-H-01", "2023-H-02", "2023-H-1", "2023-C-07")
    }


def written():
    return (
        list(ProposalDocument.objects.order_by("pk").values_list("pk", "sha256")),
        StoredFile.objects.count(),
        ImportUpload.objects.count(),
        AuditEntry.objects.count(),
    )


def preview(content, competition):
    plan = plan_bundle(read_members(content), competition)
    matched = {m.member.path: (m.reference, m.kind, m.action) for m in plan.matched}
    unmatched = {member.path: member.reason for member in plan.unmatched}
    return matched, unmatched


# --- Matching ----------------------------------------------------------------------------------------


def test_names_match_the_longest_reference_and_say_plan_or_attachment(competition, proposals):
    content = make_zip(
        [
            ("2023-H-01_사업계획서.pdf", pdf_bytes()),
            ("2023-H-01_첨부1.hwp", hwp_bytes()),
            ("2023-h-02 사업계획서(최종).PDF", pdf_bytes()),  # case and separators vary
            ("2023-H-1-사진.png", image_bytes()),  # 2023-H-1, not 2023-H-01 or 2023-H-10
            (unicodedata.normalize("NFD", "2023-C-07_사업계획서.pdf"), pdf_bytes()),  # as a Mac zips it
        ]
    )
    matched, unmatched = preview(content, competition)
    assert matched == {
        "2023-H-01_사업계획서.pdf": ("2023-H-01", "plan", "new"),
        "2023-H-01_첨부1.hwp": ("2023-H-01", "attachment", "new"),
        "2023-h-02 사업계획서(최종).PDF": ("2023-H-02", "plan", "new"),
        "2023-H-1-사진.png": ("2023-H-1", "attachment", "new"),
        "2023-C-07_사업계획서.pdf": ("2023-C-07", "plan", "new"),
    }
    assert unmatched == {}


def test_names_that_match_no_proposal_say_why(competition, proposals):
    content = make_zip(
        [
            ("2023-H-99_사업계획서.pdf", pdf_bytes()),
            ("사업계획서.pdf", pdf_bytes()),
            ("2023-H-01.pdf", pdf_bytes()),
            ("2023-H-02_사업계획서.hwp", hwp_bytes()),
            ("2023-H-02_사업계획서.pdf", image_bytes()),
            ("2023-C-07_사업계획서.pdf", pdf_bytes()),
            ("2023-C-07_사업계획서_수정.pdf", pdf_bytes()),
        ]
    )
    matched, unmatched = preview(content, competition)
    assert matched == {}
    two_plans = (
        "압축 파일에 이 사업의 사업계획서가 두 개 이상 있어(2023-C-07_사업계획서.pdf, "
        "2023-C-07_사업계획서_수정.pdf) 어느 것도 쓰지 않습니다."
    )
    assert unmatched == {
        "2023-H-99_사업계획서.pdf": "이 공모에는 접수번호가 '2023-H-99'인 사업이 없습니다. 파일 이름 앞의 접수번호를 확인해 주세요.",
        "사업계획서.pdf": "파일 이름이 이 공모의 접수번호로 시작하지 않습니다. 2023-H-01_사업계획서.pdf처럼 이름을 붙여 주세요.",
        "2023-H-01.pdf": "파일 이름에 접수번호 뒤의 문서 이름이 없습니다. 2023-H-01_사업계획서.pdf나 2023-H-01_첨부1.hwp처럼 이름을 붙여 주세요.",
        "2023-H-02_사업계획서.hwp": "사업계획서는 PDF 파일이어야 합니다. '2023-H-02_사업계획서.hwp' 파일은 .pdf 파일이 아닙니다.",
        "2023-H-02_사업계획서.pdf": "'2023-H-02_사업계획서.pdf' 파일은 이름으로는 PDF 문서이지만 내용은 PNG 이미지입니다. "
        "알맞은 확장자로 바꾸거나 맞는 파일을 올려 주세요.",
        "2023-C-07_사업계획서.pdf": two_plans,
        "2023-C-07_사업계획서_수정.pdf": two_plans,
    }


def test_a_plan_replaces_the_stored_plan_and_the_same_file_is_unchanged(competition, proposals, admin):
    first = proposals["2023-H-01"]
    add_document(first, "plan", "옛 계획서.pdf", pdf_bytes(), admin, "등록")
    add_document(first, "attachment", "2023-H-01_첨부1.hwp", hwp_bytes(), admin, "등록")
    content = make_zip(
        [
            ("2023-H-01_사업계획서.pdf", pdf_bytes(pages=2)),
            ("2023-H-01_첨부1.hwp", hwp_bytes()),
            ("2023-H-01_첨부2.png", image_bytes()),
        ]
    )
    matched, _unmatched = preview(content, competition)
    assert matched == {
        "2023-H-01_사업계획서.pdf": ("2023-H-01", "plan", "replace"),
        "2023-H-01_첨부1.hwp": ("2023-H-01", "attachment", "unchanged"),
        "2023-H-01_첨부2.png": ("2023-H-01", "attachment", "new"),
    }


# --- Zip safety --------------------------------------------------------------------------------------


def refusal(content):
    with pytest.raises(BundleRefused) as refused:
        read_members(content)
    return refused.value.message


def test_a_file_that_is_not_a_zip_or_holds_nothing_is_refused():
    assert refusal(pdf_bytes()) == (
        "ZIP 압축 파일이 아니거나 손상된 파일입니다. 압축 프로그램으로 만든 .zip 파일을 올려 주세요."
    )
    assert refusal(make_zip([])) == "압축 파일에 파일이 없습니다."


@override_settings(DOCUMENT_ZIP_MAX_FILES=3)
def test_a_zip_with_too_many_entries_is_refused():
    content = make_zip([(f"2023-H-01_첨부{n}.png", image_bytes()) for n in range(4)])
    assert refusal(content) == (
        "압축 파일에 항목이 4개 있습니다. 한 번에 3개까지만 읽습니다. 여러 압축 파일로 나눠 올려 주세요."
    )


@override_settings(DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES=1024 * 1024)
def test_a_zip_that_expands_past_the_limit_is_refused_by_its_headers_and_as_read():
    bomb = make_zip([("2023-H-01_첨부1.pdf", b"%PDF-" + b"0" * 2_000_000)])
    message = "압축을 풀면 1 MB를 넘습니다. 아무것도 저장하지 않았습니다. 여러 압축 파일로 나눠 올려 주세요."
    assert refusal(bomb) == message
    # Headers that claim a small size: no more than the claimed bytes ever come out (the rest
    # would be a bomb's), and the entry fails its CRC: left out as damaged.
    liar = bytearray(make_zip([("a.pdf", b"%PDF-" + b"0" * 600_000), ("b.pdf", b"%PDF-" + b"1" * 600_000)]))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := liar.find(signature, start)) != -1:
            liar[start + offset : start + offset + 4] = (10).to_bytes(4, "little")
            start += 4
    members = read_members(bytes(liar))
    assert [member.reason for member in members] == [
        "압축 파일 안에서 손상되어 읽을 수 없는 파일입니다. 압축 파일을 다시 만들어 주세요."
    ] * 2
    assert all(member.content is None for member in members)


@override_settings(DOCUMENT_MAX_BYTES=1024 * 1024)
def test_a_file_in_the_zip_over_the_document_limit_is_left_out():
    members = read_members(make_zip([("2023-H-01_첨부1.pdf", b"%PDF-" + b"0" * 2_000_000)]))
    assert members[0].reason == "파일이 너무 큽니다(1.9 MB). 문서 한 개는 최대 1 MB입니다."


@pytest.mark.parametrize(
    "path", ["../2023-H-01_사업계획서.pdf", "/etc/2023-H-01.pdf", "docs/../../x.pdf", "C:/x.pdf", "..\\x.pdf"]
)
def test_a_path_that_climbs_out_of_the_zip_refuses_the_whole_zip(path):
    content = make_zip([("2023-H-01_첨부1.png", image_bytes()), (path, pdf_bytes())])
    shown = path.replace("\\", "/")
    assert refusal(content) == (
        f"압축 파일에 바깥을 가리키는 경로 '{shown}'(상위 폴더 또는 절대 경로)가 있습니다. "
        "아무것도 저장하지 않았습니다. 파일들로 압축 파일을 다시 만들어 주세요."
    )


def test_one_enclosing_folder_is_fine_and_deeper_folders_are_left_out(competition, proposals):
    zipped_folder = make_zip(
        [
            ("제출서류/2023-H-01_사업계획서.pdf", pdf_bytes()),
            ("제출서류/2023-H-02_사업계획서.pdf", pdf_bytes()),
        ]
    )
    matched, unmatched = preview(zipped_folder, competition)
    assert set(matched) == {"제출서류/2023-H-01_사업계획서.pdf", "제출서류/2023-H-02_사업계획서.pdf"}
    nested = make_zip(
        [
            ("2023-H-01_사업계획서.pdf", pdf_bytes()),
            ("첨부/2023-H-01_첨부1.png", image_bytes()),
            ("a/b/2023-H-02_사업계획서.pdf", pdf_bytes()),
        ]
    )
    matched, unmatched = preview(nested, competition)
    assert set(matched) == {"2023-H-01_사업계획서.pdf"}
    assert unmatched == {
        "첨부/2023-H-01_첨부1.png": "압축 파일 안의 폴더('첨부')에 있는 파일입니다. 파일을 압축 파일의 맨 위에 두거나 모두 한 폴더에 넣어 주세요.",
        "a/b/2023-H-02_사업계획서.pdf": "압축 파일 안의 폴더('a/b')에 있는 파일입니다. 파일을 압축 파일의 맨 위에 두거나 모두 한 폴더에 넣어 주세요.",
    }


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns writing the test's zip
def test_duplicate_names_are_all_left_out(competition, proposals):
    content = make_zip(
        [
            ("2023-H-01_첨부1.png", image_bytes()),
            ("2023-H-01_첨부1.png", image_bytes("JPEG")),
            ("2023-h-01_첨부1.PNG", image_bytes()),
        ]
    )
    matched, unmatched = preview(content, competition)
    assert matched == {}
    assert set(unmatched.values()) == {
        "압축 파일에 이 이름의 파일이 3개 있어 어느 것도 쓰지 않습니다. 하나만 남겨 압축 파일을 다시 만들어 주세요."
    }


def test_cp949_names_from_korean_windows_are_read_and_unreadable_names_say_so(competition, proposals):
    content = make_zip(
        [
            ("2023-H-01_사업계획서.pdf", pdf_bytes(), {"encoding": "cp949"}),
            ("2023-H-02_첨부.hwp", hwp_bytes(), {"encoding": "utf-8"}),  # UTF-8 without the flag
            ("unreadable", image_bytes(), {"raw_name": b"2023-H-01_\xff\xfe\xfd.png"}),
        ]
    )
    with zipfile.ZipFile(__import__("io").BytesIO(content)) as archive:
        assert not any(info.flag_bits & 0x800 for info in archive.infolist())  # really without the flag
    matched, unmatched = preview(content, competition)
    assert matched == {
        "2023-H-01_사업계획서.pdf": ("2023-H-01", "plan", "new"),
        "2023-H-02_첨부.hwp": ("2023-H-02", "attachment", "new"),
    }
    assert list(unmatched.values()) == [
        "파일 이름을 읽을 수 없습니다(UTF-8도 CP949도 아님). 파일 이름을 바꿔 압축 파일을 다시 만들어 주세요."
    ]


def test_damaged_linked_and_system_entries_are_left_out_each_with_its_reason(competition, proposals):
    good = make_zip([("2023-H-01_첨부1.png", image_bytes())], compression=zipfile.ZIP_STORED)
    damaged = bytearray(make_zip([("2023-H-02_사업계획서.pdf", pdf_bytes())], compression=zipfile.ZIP_STORED))
    damaged[damaged.find(b"%PDF") + 20] ^= 0xFF  # the bytes no longer match the CRC
    link = make_zip([("2023-H-01_링크.pdf", b"/etc/passwd", {"mode": stat.S_IFLNK | 0o777})])
    system = make_zip(
        [
            ("__MACOSX/._2023-H-01_사업계획서.pdf", b"x"),
            (".DS_Store", b"x"),
            ("2023-H-01_사업계획서.pdf", pdf_bytes()),
        ]
    )
    assert preview(good, competition)[1] == {}
    assert preview(bytes(damaged), competition)[1] == {
        "2023-H-02_사업계획서.pdf": "압축 파일 안에서 손상되어 읽을 수 없는 파일입니다. 압축 파일을 다시 만들어 주세요."
    }
    assert preview(link, competition)[1] == {"2023-H-01_링크.pdf": "파일이 아니라 링크입니다."}
    matched, unmatched = preview(system, competition)
    assert set(matched) == {"2023-H-01_사업계획서.pdf"}
    assert unmatched == {
        "__MACOSX/._2023-H-01_사업계획서.pdf": "운영체제가 만든 파일이라 건너뜁니다.",
        ".DS_Store": "운영체제가 만든 파일이라 건너뜁니다.",
    }


def test_an_encrypted_entry_is_left_out():
    content = bytearray(make_zip([("2023-H-01_사업계획서.pdf", pdf_bytes())]))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = content.find(signature)
        content[at + offset] |= 0x01  # the "encrypted" flag, as a password-protected zip sets it
    (member,) = read_members(bytes(content))
    assert member.reason == "압축 파일 안에서 암호가 걸린 파일입니다. 암호 없이 압축해 주세요."


# --- Upload → preview → confirm -------------------------------------------------------------------------


@override_settings(DOCUMENT_ZIP_MAX_BYTES=1000)
def test_a_zip_over_the_size_limit_is_refused_and_nothing_is_kept(competition, admin):
    before = written()
    with pytest.raises(BundleRefused) as refused:
        stage_bundle(competition, "big.zip", b"PK" + b"0" * 2_000_000, admin)
    assert refused.value.message == (
        "압축 파일이 너무 큽니다(1.9 MB). 한도는 0 MB입니다. 여러 압축 파일로 나눠 올려 주세요."
    )
    assert written() == before


def test_confirming_stores_exactly_the_previewed_zip_once(competition, proposals, admin):
    content = make_zip(
        [("2023-H-01_사업계획서.pdf", pdf_bytes()), ("2023-H-01_첨부1.hwp", hwp_bytes()), ("기타.txt", b"x")]
    )
    before = written()
    upload = stage_bundle(competition, "제출서류.zip", content, admin)
    assert written()[:2] == before[:2]  # a preview stores no document
    assert upload.summary["counts"] == {"new": 2, "replace": 0, "unchanged": 0, "unmatched": 1, "skipped": 0}

    with pytest.raises(BundleRefused) as refused:
        confirm_bundle(upload.pk, "0" * 64, admin, "접수 서류 일괄 등록")
    assert refused.value.message == (
        "미리본 압축 파일이 아닙니다(SHA-256이 다름). 아무것도 저장하지 않았습니다. "
        "압축 파일을 다시 올려 새 미리보기를 확인해 주세요."
    )
    with pytest.raises(DocumentRefused) as refused:
        confirm_bundle(upload.pk, upload.sha256, admin, "")
    assert refused.value.message == "변경 사유를 적어 주세요. 사유는 이름과 함께 감사 기록에 남습니다."
    assert not ProposalDocument.objects.exists()

    upload, _summary = confirm_bundle(upload.pk, upload.sha256, admin, "접수 서류 일괄 등록")
    documents = ProposalDocument.objects.filter(proposal=proposals["2023-H-01"])
    assert sorted(documents.values_list("original_name", "kind")) == [
        ("2023-H-01_사업계획서.pdf", "plan"),
        ("2023-H-01_첨부1.hwp", "attachment"),
    ]
    created = AuditEntry.objects.filter(action="proposaldocument.created")
    assert created.count() == 2 and {entry.reason for entry in created} == {"접수 서류 일괄 등록"}
    applied = AuditEntry.objects.get(action="documents.bulk_applied")
    assert applied.after["sha256"] == upload.sha256 and applied.actor == admin
    with pytest.raises(BundleRefused) as refused:
        confirm_bundle(upload.pk, upload.sha256, admin, "두 번째 클릭")
    assert refused.value.message == "이 압축 파일은 이미 적용되었습니다."
    assert documents.count() == 2


def test_a_zip_is_not_applied_when_the_documents_changed_after_its_preview(competition, proposals, admin):
    content = make_zip([("2023-H-01_사업계획서.pdf", pdf_bytes(pages=2))])
    upload = stage_bundle(competition, "a.zip", content, admin)
    add_document(proposals["2023-H-01"], "plan", "다른 계획서.pdf", pdf_bytes(), admin, "먼저 등록")
    before = written()
    with pytest.raises(BundleRefused) as refused:
        confirm_bundle(upload.pk, upload.sha256, admin, "일괄 등록")
    assert refused.value.message == (
        "미리본 뒤에 사업이나 문서가 바뀌어 압축 파일을 적용하지 않았습니다. 다시 올려 새 미리보기를 확인해 주세요."
    )
    assert written() == before


def test_a_zip_with_nothing_new_is_not_applied(competition, proposals, admin):
    add_document(proposals["2023-H-01"], "plan", "2023-H-01_사업계획서.pdf", pdf_bytes(), admin, "등록")
    upload = stage_bundle(competition, "a.zip", make_zip([("2023-H-01_사업계획서.pdf", pdf_bytes())]), admin)
    with pytest.raises(BundleRefused) as refused:
        confirm_bundle(upload.pk, upload.sha256, admin, "일괄 등록")
    assert refused.value.message == "저장할 문서가 없습니다. 맞춰진 파일이 모두 이미 등록되어 있습니다."


def test_only_an_admin_stages_or_confirms_a_zip(competition, proposals, user_factory):
    official = user_factory(Role.OFFICIAL, "zip-official")
    with pytest.raises(DocumentRefused) as refused:
        stage_bundle(competition, "a.zip", make_zip([("2023-H-01_사업계획서.pdf", pdf_bytes())]), official)
    assert refused.value.message == (
        "'zip-official' 계정(역할: 담당 공무원)은 제안 문서 변경에 쓸 수 없습니다. 시스템 관리자만 할 수 있습니다."
    )
