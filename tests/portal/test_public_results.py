"""The public results page (issue 4 §6): read from the current publication's snapshot only."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from accounts.roles import Role
from evaluation import sheets
from evaluation.models import Assignment, Scoresheet
from evaluation.publication import publish
from proposals.models import Applicant, Competition, Proposal, Track
from tests.conftest import record_submissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "official-public")


@pytest.fixture
def published(
    competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, official
):
    """Hub: 100, 90, 75 (selected, selected, reserve); climate: 90 (selected), one withdrawn."""
    make_criteria(3, max_points=Decimal(40))
    reviewers = [make_reviewer(name) for name in ("kim", "lee", "park")]
    points = {1: [35, 35, 30], 2: [30, 30, 30], 3: [25, 25, 25], 4: [30, 30, 30]}
    proposals = {}
    for number, values in points.items():
        proposal = make_proposal(
            track="hub" if number <= 3 else "climate",
            applicant=["울산광역시", "고양시", "비공개 지자체 03", "평택시"][number - 1],
            national_subsidy=Decimal("1200") if number == 1 else Decimal("200.5"),
            local_matching=Decimal("1250"),
        )
        proposals[number] = proposal
        for reviewer in reviewers:
            submit_sheet(make_assignment(proposal, reviewer, confirmed=True), values)
    make_proposal(track="climate", status=Proposal.Status.WITHDRAWN)
    publication = publish(competition, official)
    return {"publication": publication, "proposals": proposals}


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_a_competition_without_a_publication_shows_nothing(client, competition, make_proposal):
    make_proposal(applicant="울산광역시")
    Competition.objects.update(status=Competition.Status.REVIEWING)
    response = client.get(reverse("public-results", args=[competition.slug]))
    assert response.status_code == 404
    assert "울산광역시" not in response.content.decode()
    landing = client.get(reverse("public-landing")).content.decode()
    assert reverse("public-results", args=[competition.slug]) not in landing


def test_the_results_page(client, competition, published):
    publication = published["publication"]
    landing = client.get(reverse("public-landing")).content.decode()
    assert reverse("public-results", args=[competition.slug]) in landing
    response = client.get(reverse("public-results", args=[competition.slug]))
    assert response.status_code == 200
    html = main(response)
    assert (
        "거점형은 총 3곳의 지자체가 신청해 1.5:1의 경쟁률을 보였으며, 울산광역시, 고양시 2곳이 선정되었다."
        in html
    )
    assert (
        "강소형은 기후위기 대응형과 지역소멸 대응형 2개 유형에 총 1곳의 지자체가 신청해 0.3:1의 경쟁률을 보였으며, "
        "기후위기 대응형은 평택시가 선정되었다. 지역소멸 대응형은 선정된 지자체가 없다."
    ) in html
    assert "1,200억원" in html and "200.5억원" in html and "1,400.5억원" in html  # hub national total
    assert "2,500억원" in html  # hub local matching total
    assert "스마트시티 사업 1" in html
    assert publication.digest in html
    # Published date in Asia/Seoul.
    from zoneinfo import ZoneInfo

    local = publication.published_at.astimezone(ZoneInfo("Asia/Seoul"))
    seoul = f"{local.year}. {local.month}. {local.day}. {local:%H:%M}"  # Korean dates (config/formats)
    assert seoul in html
    assert "비공개 지자체 03" not in html  # the reserve is not announced
    assert 'media="print"' in response.content.decode()


def test_no_personal_data_and_no_reviewer_on_the_public_page(client, competition, published):
    html = client.get(reverse("public-results", args=[competition.slug])).content.decode()
    assert "010-1234-5678" not in html
    assert "@city.go.kr" not in html and "@example.kr" not in html
    for name in ("위원 kim", "위원 lee", "위원 park", "official-public"):
        assert name not in html
    assert not re.search(r"[\w.]+@[\w.]+\.\w+", main_text(html))


def main_text(html):
    return html[html.index("<main") : html.index("</main>")]


def test_the_page_stays_the_same_after_later_score_edits(
    client, competition, published, submit_sheet, official
):
    before = main(client.get(reverse("public-results", args=[competition.slug])))
    sheet = Scoresheet.objects.get(
        assignment__proposal=published["proposals"][3], assignment__reviewer__user__username="kim"
    )
    sheets.reopen(sheet, "오기 정정", official)
    submit_sheet(sheet.assignment, [40, 40, 40])
    Proposal.objects.filter(pk=published["proposals"][1].pk).update(title="바뀐 사업명", national_subsidy=1)
    after = main(client.get(reverse("public-results", args=[competition.slug])))
    assert after == before
    assert "바뀐 사업명" not in after


def test_the_current_publication_is_shown_after_a_correction(
    client, competition, published, official, submit_sheet
):
    sheet = Scoresheet.objects.get(
        assignment__proposal=published["proposals"][3], assignment__reviewer__user__username="kim"
    )
    sheets.reopen(sheet, "오기 정정", official)
    submit_sheet(
        sheet.assignment, [40, 40, 40]
    )  # 120 + 75 + 75 = 90: equal to 고양시, lower subsidy? no: same
    # …and a lower requested national subsidy than 고양시's 200.5 breaks the tie.
    Proposal.objects.filter(pk=published["proposals"][3].pk).update(national_subsidy=Decimal("100"))
    second = publish(competition, official, correction_reason="국비 신청액 오기 정정")
    html = main(client.get(reverse("public-results", args=[competition.slug])))
    assert second.digest in html and published["publication"].digest not in html
    assert "비공개 지자체 03" in html  # now selected: equal score, lower requested subsidy


# --- A constant number of queries at 20 and 2,000 proposals -------------------------------------


def bulk_published(competition, stage, make_reviewer, official, count):
    """``count`` proposals over the three tracks, two submitted sheets each, built with
    bulk_create, then published."""
    tracks = list(Track.objects.filter(category__competition=competition).order_by("pk"))
    applicants = Applicant.objects.bulk_create(
        [Applicant(province="대량", name=f"대량시 {i:05d}") for i in range(count)]
    )
    proposals = Proposal.objects.bulk_create(
        [
            Proposal(
                competition=competition,
                track=tracks[i % len(tracks)],
                applicant=applicants[i],
                reference=f"B-{i:05d}",
                title=f"대량 사업 {i}",
                national_subsidy=Decimal("120"),
                local_matching=Decimal("120"),
                contact_phone="010-9999-0000",
                contact_email=f"b{i}@city.go.kr",
            )
            for i in range(count)
        ]
    )
    reviewers = [make_reviewer(f"bulk{n}") for n in range(2)]
    assignments = Assignment.objects.bulk_create(
        [Assignment(stage=stage, proposal=p, reviewer=r) for p in proposals for r in reviewers]
    )
    built = Scoresheet.objects.bulk_create(
        [
            Scoresheet(
                assignment=a,
                status=Scoresheet.Status.SUBMITTED,
                total=Decimal(6000 + index // 2) / 100,
            )
            for index, a in enumerate(assignments)
        ]
    )
    record_submissions(built)
    return publish(competition, official)


PUBLIC_PAGE_QUERIES = 1


@pytest.mark.parametrize("count", [20, 2000])
def test_public_page_queries_do_not_grow(
    count, client, competition, stage, make_reviewer, official, django_assert_max_num_queries
):
    publication = bulk_published(competition, stage, make_reviewer, official, count)
    assert publication.snapshot["outcome"]["totals"]["all"]["selected"] == 6
    with django_assert_max_num_queries(PUBLIC_PAGE_QUERIES):
        response = client.get(reverse("public-results", args=[competition.slug]))
    assert response.status_code == 200
    assert "대량시" in response.content.decode()
    assert "b1@city.go.kr" not in response.content.decode()


def test_the_organization_of_the_competition_heads_the_page(client, competition, published):
    """SPEC §8.5: the page names the competition's organization, with its particle; blank, the
    site's ORGANIZATION_NAME setting."""
    url = reverse("public-results", args=[competition.slug])
    html = client.get(url).content.decode()
    assert "국토교통부는 2023년 스마트시티 조성사업의 평가 결과를 다음과 같이 공개합니다." in html
    assert '<span class="organization-name">국토교통부</span>' in html
    assert "이 누리집은 국토교통부에서 운영합니다." in html

    Competition.objects.filter(pk=competition.pk).update(organization="해양수산부")
    html = client.get(url).content.decode()
    assert "해양수산부는 2023년 스마트시티 조성사업의 평가 결과를 다음과 같이 공개합니다." in html
    assert '<span class="organization-name">해양수산부</span>' in html
    assert "국토교통부" not in html

    Competition.objects.filter(pk=competition.pk).update(organization="")
    with override_settings(ORGANIZATION_NAME="행정안전부"):
        html = client.get(url).content.decode()
    assert "행정안전부는 2023년 스마트시티 조성사업의 평가 결과를 다음과 같이 공개합니다." in html


def test_a_plain_korean_line_explains_the_sha_256_and_how_to_verify(client, competition, published):
    html = main(client.get(reverse("public-results", args=[competition.slug])))
    assert "SHA-256은 이 결과의 ‘디지털 지문’입니다." in html
    assert "결과가 한 글자만 바뀌어도 전혀 다른 값이 됩니다." in html
    assert "언제든지 국토교통부에 제1차 공개의 두 값을 다시 계산해 달라고 요청할 수 있으며" in html


def test_english_mode_shows_amounts_in_english(client, competition, published):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = main(client.get(reverse("public-results", args=[competition.slug])))
    assert "KRW 120 billion" in html and "KRW 20.05 billion" in html
    assert "억원" not in html.split('class="announcement"')[0]  # the Korean announcement aside


def test_the_results_are_stacked_rows_with_labels_for_narrow_screens(client, competition, published):
    html = main(client.get(reverse("public-results", args=[competition.slug])))
    assert (
        html.count('class="krds-table-wrap stacked"') == 3
    )  # one table per track (hub, climate, depopulation)
    assert '<td class="num" data-label="국비">1,200억원</td>' in html
    assert '<td class="num" data-label="지방비">1,250억원</td>' in html


def test_the_page_reads_the_parts_it_shows_and_never_the_snapshots_inputs(client, competition, published):
    """The snapshot's inputs hold every sheet total (2.5 MB at 2,000 proposals): the database hands
    the page the outcome, the competition and the correction's notes only."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("public-results", args=[competition.slug]))
    assert response.status_code == 200
    assert "snapshot" in response.context["publication"].get_deferred_fields()
    column = re.escape('"evaluation_publication"."snapshot"')
    selects = [q["sql"] for q in queries.captured_queries if "evaluation_publication" in q["sql"]]
    # A key taken out of the column in the database: JSON_EXTRACT(col, '$…') or (col -> 'key').
    extracted = re.compile(column + r"""(\s*,\s*'\$|\s*->)""")
    assert selects and all(not re.search(column, extracted.sub("", sql)) for sql in selects)
    assert "inputs" not in "".join(selects)
