"""``import_proposals --from-competition`` (SPEC §8.8, 예비 → 본 지정): the proposals a preliminary
round's published result selected enter the next round with their 접수번호, applicant, title and
amounts, through the same checks and writes as a file — all or nothing, idempotent, audited — and
every refusal says why and writes nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.publication import publish
from proposals.domain.competition_file import load_competition_file
from proposals.models import AuditEntry, Competition, Proposal
from tests.evaluation.test_publication import official, scored  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

MAIN_ROUND = """
slug = "main-2024"
name = "2024 본 지정"
year = 2024

[[categories]]
code = "hub"
name = "거점형"

[[categories.tracks]]
code = "hub"
name = "거점형"
slots = 1
subsidy = 200

[[categories]]
code = "small"
name = "강소형"

[[categories.tracks]]
code = "climate"
name = "기후위기 대응형"
slots = 1
subsidy = 120
"""


@pytest.fixture
def published(competition, scored, official):
    """The preliminary round: hub R-0001, R-0002 selected and R-0003 a reserve (R-0004 below the
    minimum); climate R-0005 selected."""
    scored()
    publish(competition, official)
    return competition


@pytest.fixture
def main_round(tmp_path):
    path = tmp_path / "main.toml"
    path.write_text(MAIN_ROUND, encoding="utf-8")
    return load_competition_file(path).competition


def take(*args, **options):
    out = StringIO()
    call_command("import_proposals", *args, stdout=out, **options)
    return out.getvalue()


def written():
    return (Proposal.objects.count(), AuditEntry.objects.count())


def test_the_selected_proposals_enter_the_next_round(published, main_round):
    output = take(competition="main-2024", from_competition=published.slug)
    assert "smartcity-2023 공개 결과" in output
    taken = (
        Proposal.objects.filter(competition=main_round)
        .select_related("track", "applicant")
        .order_by("reference")
    )
    assert [(p.reference, p.track.code, p.applicant.name, p.status) for p in taken] == [
        ("R-0001", "hub", "시험시 001", "submitted"),
        ("R-0002", "hub", "시험시 002", "submitted"),
        ("R-0005", "climate", "시험시 005", "submitted"),
    ]
    source = Proposal.objects.get(competition=published, reference="R-0002")
    copy = taken.get(reference="R-0002")
    assert copy.applicant_id == source.applicant_id  # the same 지자체 (광역 and name)
    fields = (
        "title",
        "summary",
        "solutions",
        "partners",
        "national_subsidy",
        "local_matching",
        "contact_email",
    )
    assert [getattr(copy, f) for f in fields] == [getattr(source, f) for f in fields]
    assert copy.national_subsidy == Decimal("200.00")
    assert AuditEntry.objects.filter(action="import.applied", competition=main_round).count() == 1

    before = written()
    again = take(competition="main-2024", from_competition=published.slug)
    assert "모든 행이 이미 최신입니다. 바뀐 것이 없습니다." in again
    assert written() == before


def test_other_statuses_and_a_dry_run(published, main_round):
    before = written()
    take(competition="main-2024", from_competition=published.slug, status="selected,reserve", dry_run=True)
    assert written() == before
    take(competition="main-2024", from_competition=published.slug, status="selected, reserve")
    references = set(Proposal.objects.filter(competition=main_round).values_list("reference", flat=True))
    assert references == {"R-0001", "R-0002", "R-0003", "R-0005"}


def refused(message, *args, **options):
    before = written()
    with pytest.raises(CommandError) as raised:
        take(*args, **options)
    assert str(raised.value) == message
    assert written() == before


def test_an_unpublished_round_is_refused(competition, main_round):
    refused(
        "'2023년 스마트시티 조성사업'의 결과가 아직 공개되지 않았습니다. 공개된 결과의 사업만 가져올 수 있습니다.",
        competition="main-2024",
        from_competition=competition.slug,
    )


def test_a_status_the_result_does_not_hold_is_refused(published, main_round):
    refused(
        "'2023년 스마트시티 조성사업'의 공개 결과에 상태가 selceted인 사업이 없습니다.",
        competition="main-2024",
        from_competition=published.slug,
        status="selceted",
    )


def test_a_track_code_this_competition_lacks_is_refused(published, tmp_path):
    path = tmp_path / "main.toml"
    path.write_text(MAIN_ROUND.replace('code = "climate"', 'code = "climate-2024"'), encoding="utf-8")
    load_competition_file(path)
    refused(
        "이 공모에 없는 트랙 코드입니다: climate(가져올 사업 중 1건). "
        "공모 파일에 그 트랙을 추가하거나 같은 코드를 지정한 뒤 다시 실행하십시오.",
        competition="main-2024",
        from_competition=published.slug,
    )


def test_the_same_competition_a_file_and_the_source_together_or_neither_are_refused(published, tmp_path):
    refused(
        "같은 공모에서 사업을 가져올 수 없습니다.",
        competition=published.slug,
        from_competition=published.slug,
    )
    refused(
        "파일 경로와 --from-competition 중 하나만 지정하십시오.",
        str(tmp_path / "a.xlsx"),
        competition=published.slug,
        from_competition=published.slug,
    )
    refused(
        "가져올 파일의 경로나 --from-competition SLUG 중 하나를 지정하십시오.", competition=published.slug
    )
    refused("식별자가 'nowhere'인 공모가 없습니다.", competition=published.slug, from_competition="nowhere")
    assert Competition.objects.count() == 1
