"""The applicant's pages of a result letter's link (issue 13): the letter, filing an appeal, the
applicant's own attachment; links that do not open; the window and the correction."""

import hashlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from evaluation import appeals
from evaluation.appeals import TEXT_MAX, deadline_text
from evaluation.letters import issue_letters, publication_deadline, revoke_letter
from evaluation.models import Appeal, Assignment, LetterOpening, ResultLetter
from evaluation.publication import publish
from evaluation.sheets import SheetInput, criteria_for, reopen, submit
from proposals.models import StoredFile
from tests.documents import pdf_bytes
from tests.letters import lettered, letters_official, token_of  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

UNKNOWN = "이 주소로는 평가결과 통보서를 찾을 수 없습니다. 이메일의 주소를 확인하십시오."
REVOKED = "이 주소는 취소되었습니다. 담당 기관에 새 주소를 요청하십시오."
NO_GROUND = "이의신청 사유 중 하나를 고르십시오. 평가위원 선정과 평가 방법은 이의신청 대상이 아닙니다."
NO_TEXT = "이의신청 내용과 이유를 적으십시오."
NO_NAME = "이의신청인의 이름을 적으십시오."


def ko(msgid, **values):
    """A message of the pages as a Korean reader sees it (the Korean of a new msgid may be missing
    until the catalogue is filled: then its English)."""
    with translation.override("ko"):
        text = gettext(msgid)
    return text % values if values else text


def letter_url(lettered, number=1):
    return reverse("letter", args=[token_of(lettered["letters"][number])])


def appeal_url(lettered, number=1):
    return reverse("letter-appeal", args=[token_of(lettered["letters"][number])])


def page_text(response):
    return response.content.decode()


def assert_private(response, policy="no-referrer"):
    """The link's token never leaves in a Referer, and no copy of the page is kept. A page holding
    the appeal form says ``strict-origin`` (origin only): under ``no-referrer`` the browser sends
    ``Origin: null`` with the form and Django's CSRF check refuses it."""
    assert response["Referrer-Policy"] == policy
    assert "noindex" in response["X-Robots-Tag"]
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache


def appeal_data(**overrides):
    data = {
        "ground": Appeal.Ground.EVALUATOR_ERROR,
        "text": "평가위원 E의 C1 점수가 제출 자료와 다릅니다.",
        "filed_by": "홍길동",
        "confirm": "yes",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def nothing_written():
    return (Appeal.objects.count(), StoredFile.objects.filter(name__startswith="appeals/").count())


def upload(name, content, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


# --- The letter ----------------------------------------------------------------------------------


def test_the_letter_shows_the_result_the_sheets_in_score_order_and_no_reviewer(client, lettered):
    response = client.get(letter_url(lettered, 1))

    assert response.status_code == 200
    assert_private(response, "strict-origin")  # it holds the appeal form
    html = page_text(response)
    content = lettered["letters"][1].letter.content
    assert "평가결과 통보서" in html and content["competition"]["organization"] in html
    assert content["competition"]["name"] in html and content["proposal"]["title"] in html
    assert "시험시 01" in html and content["proposal"]["reference"] in html
    assert "63.33" in html  # final score (and stage score)
    assert ko("%(rank)s of %(size)s") % {"rank": 1, "size": 3} in html or "1 of 3" in html
    # The status as frozen into the letter (in the language active when it was issued: see the report).
    assert "1.5:1" in html and content["result"]["status_label"] in html
    # Evaluator totals by code, highest first; the trimmed ones marked in words.
    rows = re.findall(
        r'<tr class="sheet-(\w+)">\s*<th scope="row">[^<]*?([A-E])</th>\s*<td class="num">(?:<s>)?([\d.]+)',
        html,
    )
    assert [(mark, code, total) for mark, code, total in rows] == [
        ("high", "A", "70.00"),
        ("kept", "B", "66.00"),
        ("kept", "C", "64.00"),
        ("kept", "D", "60.00"),
        ("low", "E", "50.00"),
    ]
    assert html.count(ko("Excluded (highest)")) == 1 and html.count(ko("Excluded (lowest)")) == 1
    assert html.count(ko("Counted")) >= 3
    # Criterion averages of the kept sheets, with their maximum.
    assert re.search(r"평가항목 1</th><td class=\"num\">40</td><td class=\"num\">32.33</td>", html)
    assert re.search(r"평가항목 2</th><td class=\"num\">40</td><td class=\"num\">31.00</td>", html)
    # Comments, overall and per criterion, anonymised.
    for index in range(5):
        assert f"종합 의견 1-{index}" in html and f"항목 의견 1-{index}" in html
    # The appeal notice: the deadline, the grounds, what cannot be appealed.
    deadline = deadline_text(publication_deadline(lettered["publication"]))
    assert deadline.endswith("24:00") and deadline in html
    for label in Appeal.Ground.labels:
        assert escape(ko(label)) in html
    assert escape(ko("the choice of evaluators;")) in html
    # Never a reviewer's name or e-mail, in the letter or anywhere on the page.
    for reviewer in lettered["reviewers"] + lettered["spare"]:
        assert reviewer.name not in html and reviewer.email not in html
        assert reviewer.user.username not in html
    for number in range(1, 6):
        assert f"위원 rev{number}" not in html and f"rev{number}@example.kr" not in html
    # The page prints (a static script, no inline handler) and the form is there.
    assert "data-print" in html and "onclick" not in html
    assert (
        'name="ground"' in html and reverse("letter-appeal", args=[token_of(lettered["letters"][1])]) in html
    )


def test_each_get_of_the_letter_is_logged_as_an_opening(client, lettered):
    letter = lettered["letters"][2].letter
    url = letter_url(lettered, 2)
    assert LetterOpening.objects.filter(letter=letter).count() == 0

    client.get(url, REMOTE_ADDR="10.1.2.3")
    client.get(url, REMOTE_ADDR="10.1.2.4")
    client.head(url)  # not an opening
    client.get(appeal_url(lettered, 2))  # the form alone: not an opening either

    openings = LetterOpening.objects.filter(letter=letter)
    assert openings.count() == 2
    assert set(openings.values_list("address", flat=True)) == {"10.1.2.3", "10.1.2.4"}


def test_an_unknown_link_answers_404_with_the_message(client, lettered):
    for url in (
        reverse("letter", args=["not-a-token"]),
        reverse("letter-appeal", args=["not-a-token"]),
        reverse("letter-appeal-attachment", args=["not-a-token", 1]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert UNKNOWN in page_text(response)
        assert_private(response)
    response = client.post(reverse("letter-appeal", args=["not-a-token"]), appeal_data())
    assert response.status_code == 404 and UNKNOWN in page_text(response)
    assert nothing_written() == (0, 0)


def test_a_revoked_link_answers_410(client, lettered):
    revoke_letter(lettered["letters"][1].letter, lettered["official"], "잘못된 수신자")

    for url in (letter_url(lettered, 1), appeal_url(lettered, 1)):
        response = client.get(url)
        assert response.status_code == 410
        assert REVOKED in page_text(response)
        assert "Traceback" not in page_text(response)
        assert_private(response)
    response = client.post(appeal_url(lettered, 1), appeal_data())
    assert response.status_code == 410 and nothing_written() == (0, 0)
    assert not LetterOpening.objects.filter(letter=lettered["letters"][1].letter).exists()


def test_an_expired_link_answers_410(client, lettered):
    letter = lettered["letters"][1].letter
    expired = timezone.now() - timedelta(days=1)
    ResultLetter.objects.filter(pk=letter.pk).update(expires_at=expired)
    message = f"이 주소는 {timezone.localtime(expired):%Y-%m-%d}에 만료되었습니다. 담당 기관에 새 주소를 요청하십시오."

    response = client.get(letter_url(lettered, 1))

    assert response.status_code == 410
    assert message in page_text(response)
    assert_private(response)


# --- Filing an appeal ----------------------------------------------------------------------------


def test_an_appeal_is_filed_through_the_pages_with_its_attachment(
    client, lettered, mailoutbox, django_capture_on_commit_callbacks
):
    content = pdf_bytes()
    form = client.get(appeal_url(lettered, 3))
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in page_text(form)
    assert_private(form, "strict-origin")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            appeal_url(lettered, 3), appeal_data(attachment=upload("소명자료.pdf", content))
        )

    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response.url == appeal_url(lettered, 3) + f"?filed={appeal.pk}#appeal-received"
    assert appeal.letter == lettered["letters"][3].letter
    assert appeal.ground == "evaluator_error" and appeal.filed_by == "홍길동"
    assert appeal.attachment_name == "소명자료.pdf"
    assert appeal.attachment_sha256 == hashlib.sha256(content).hexdigest()
    assert appeal.attachment.read() == content
    # The receipt, in Korean, to the letter's recipient.
    (mail,) = mailoutbox
    assert mail.to == [lettered["letters"][3].letter.recipient]
    assert mail.subject == f"[{lettered['publication'].competition.name}] 이의신청이 접수되었습니다"
    assert "이의신청" in mail.body and "소명자료.pdf" in mail.body and str(appeal.pk) in mail.body
    # The page after filing says so and lists the appeal with its state.
    after = client.get(response.url)
    html = page_text(after)
    assert ko("Your appeal no. %(number)s was received.", number=appeal.pk) in html
    assert escape(appeal.get_status_display()) in html and appeal.text in html
    assert 'name="ground"' not in html  # not the form again: a link to file another
    assert 'id="appeal-filed"' in html
    # The letter's page lists it too, and the applicant can download their attachment.
    assert appeal.text in page_text(client.get(letter_url(lettered, 3)))
    download = client.get(
        reverse("letter-appeal-attachment", args=[token_of(lettered["letters"][3]), appeal.pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert "attachment" in download["Content-Disposition"]
    assert_private(download)


def test_an_attachment_is_only_for_the_letter_of_its_proposal(client, lettered):
    client.post(appeal_url(lettered, 3), appeal_data(attachment=upload("소명자료.pdf", pdf_bytes())))
    appeal = Appeal.objects.get()
    other = reverse("letter-appeal-attachment", args=[token_of(lettered["letters"][1]), appeal.pk])

    response = client.get(other)

    assert response.status_code == 404
    assert appeal.text not in page_text(client.get(letter_url(lettered, 1)))


def test_the_appeal_is_filed_only_with_the_box_ticked(client, lettered):
    response = client.post(appeal_url(lettered, 1), appeal_data(confirm=None))

    assert response.status_code == 422
    html = page_text(response)
    assert escape(ko("Tick the box to confirm that you file the appeal as written above.")) in html
    assert 'aria-describedby="appeal-confirm-error"' in html
    assert "홍길동" in html  # what was typed is kept
    assert nothing_written() == (0, 0)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ground": None}, "ground", NO_GROUND),
        ({"ground": "method"}, "ground", NO_GROUND),
        ({"text": "   "}, "text", NO_TEXT),
        (
            {"text": "가" * (TEXT_MAX + 1)},
            "text",
            f"내용은 {TEXT_MAX:,}자까지 쓸 수 있습니다(지금 {TEXT_MAX + 1:,}자).",
        ),
        ({"filed_by": ""}, "filed_by", NO_NAME),
        (
            {"attachment": ("setup.exe", b"MZ\x90\x00")},
            "attachment",
            "'setup.exe': 이 형식의 파일은 저장할 수 없습니다. 저장할 수 있는 형식: "
            "PDF, HWP, HWPX, DOCX, XLSX, PPTX, JPG, JPEG, PNG.",
        ),
        (
            {"attachment": ("소명자료.pdf", b"not a pdf at all")},
            "attachment",
            "'소명자료.pdf' 파일은 이름으로는 PDF 문서이지만 내용은 그렇지 않습니다(저장할 수 있는 어떤 형식도 "
            "아닙니다). 맞는 파일인지, 손상되지 않았는지 확인해 주세요.",
        ),
    ],
    ids=["no-ground", "method", "empty-text", "long-text", "no-name", "exe", "not-a-pdf"],
)
def test_bad_input_is_shown_on_its_field_and_nothing_is_written(client, lettered, overrides, field, message):
    if "attachment" in overrides:
        name, content = overrides.pop("attachment")
        overrides["attachment"] = upload(name, content, "application/octet-stream")

    response = client.post(appeal_url(lettered, 1), appeal_data(**overrides))

    assert response.status_code == 422
    html = page_text(response)
    assert escape(message) in html
    assert f'<p class="form-hint-invalid" id="appeal-{field}-error">{escape(message)}</p>' in html
    assert f"appeal-{field}-error" in re.search(
        rf'id="appeal-{field}[^"]*"[^>]*aria-describedby="([^"]*)"', html
    ).group(1)
    assert f'href="#appeal-{field}"' in html  # the error summary links to the field
    assert nothing_written() == (0, 0)


# --- The window and the correction ---------------------------------------------------------------


def test_after_the_window_the_form_is_gone_and_a_post_is_refused(client, lettered, monkeypatch):
    deadline = publication_deadline(lettered["publication"])
    later = deadline + timedelta(hours=1)
    monkeypatch.setattr(appeals.timezone, "now", lambda: later)
    message = f"이 결과에 대한 이의신청은 {deadline_text(deadline)}까지 받았습니다. 신청 기간이 끝났습니다."

    for url in (letter_url(lettered, 1), appeal_url(lettered, 1)):
        response = client.get(url)
        assert response.status_code == 200
        assert message in page_text(response)
        assert 'name="ground"' not in page_text(response)
        assert_private(response)  # no form: no referrer at all
    response = client.post(appeal_url(lettered, 1), appeal_data())
    assert response.status_code == 403
    assert message in page_text(response)
    assert nothing_written() == (0, 0)


def test_after_a_correction_the_old_letter_points_to_the_new_one(client, lettered, competition):
    official = lettered["official"]
    assignment = Assignment.objects.get(proposal=lettered["proposals"][3], reviewer=lettered["reviewers"][4])
    reopen(assignment.sheet, "입력 착오", official)
    criteria = criteria_for(assignment.stage, assignment.proposal.track)
    assignment.sheet.refresh_from_db()
    submit(
        assignment,
        assignment.sheet.version,
        SheetInput(points={criteria[0].pk: Decimal(40), criteria[1].pk: Decimal(40)}),
        assignment.reviewer.user,
    )
    correction = publish(competition, official, correction_reason="평가위원 E 점수 입력 착오 정정")
    (new,) = issue_letters(competition, official, [lettered["proposals"][3].pk], send=False)
    old_message = ko(
        "This result was corrected by publication no. %(number)s. An appeal concerns the result in "
        "force: use the link of your new result letter (sent to you by e-mail), not this one.",
        number=correction.number,
    )

    for url in (letter_url(lettered, 3), appeal_url(lettered, 3)):
        html = page_text(client.get(url))
        assert escape(old_message) in html
        assert 'name="ground"' not in html
    refused = client.post(appeal_url(lettered, 3), appeal_data())
    assert refused.status_code == 403 and escape(old_message) in page_text(refused)
    assert nothing_written() == (0, 0)
    # The new letter carries the corrected result and takes the appeal.
    new_url = reverse("letter-appeal", args=[token_of(new)])
    assert 'name="ground"' in page_text(client.get(new_url))
    assert client.post(new_url, appeal_data()).status_code == 302
    assert Appeal.objects.get().publication == correction


def test_the_appeal_form_keeps_csrf(lettered):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(appeal_url(lettered, 1), appeal_data())

    assert response.status_code == 403
    assert nothing_written() == (0, 0)


def test_the_appeal_takes_an_attachment_larger_than_other_anonymous_forms(client, lettered, settings):
    """Without sign-in a body is limited to 64 KB, except the appeal's (the document limit and the
    form: ``REQUEST_ANONYMOUS_UPLOAD_VIEWS``)."""
    content = pdf_bytes() + b"%" + b"0" * (200 * 1024)
    assert len(content) > settings.REQUEST_MAX_BYTES_ANONYMOUS

    response = client.post(appeal_url(lettered, 1), appeal_data(attachment=upload("자료.pdf", content)))

    assert response.status_code == 302
    assert Appeal.objects.get().attachment_sha256 == hashlib.sha256(content).hexdigest()
    settings.REQUEST_ANONYMOUS_UPLOAD_VIEWS = {"letter-appeal": 100 * 1024}
    too_large = client.post(appeal_url(lettered, 1), appeal_data(attachment=upload("자료.pdf", content)))
    assert too_large.status_code == 413
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize(
    ("sheets", "marks"),
    [
        ([("A", "70", "high"), ("B", "66", ""), ("E", "50", "low")], ["high", "kept", "low"]),
        # A tie at the low end: the kept F comes before the dropped C (evaluation.letters orders them).
        (
            [("B", "90.5", "high"), ("E", "89", ""), ("F", "83.5", ""), ("C", "83.5", "low")],
            ["high", "kept", "kept", "low"],
        ),
        ([("A", "70", ""), ("B", "60", "")], ["kept", "kept"]),  # too few to trim
    ],
)
def test_each_evaluator_total_says_how_it_counted(sheets, marks):
    from portal.templatetags.letters import marked_sheets

    rows = marked_sheets(
        [{"code": code, "total": total, "dropped": dropped} for code, total, dropped in sheets]
    )

    assert [row["mark"] for row in rows] == marks
