"""The analysis's flag threshold as a competition setting (issue 13: ``deviation_threshold``, in %
of a stage's maximum total, default 10): the file, the database, the command and the page."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.roles import Role
from evaluation.domain.competition_export import competition_document, to_toml
from proposals.domain.competition_file import CompetitionFileError, parse_competition_file
from proposals.models import Competition
from tests.proposals.test_competition_file import MINIMAL

pytestmark = pytest.mark.django_db


def flagged(slug: str) -> set[str]:
    out = StringIO()
    call_command("analyze", competition=slug, json=True, rounds=20, stdout=out)
    document = json.loads(out.getvalue())
    return {row["email"] for stage in document["stages"] for row in stage["reviewers"] if row["flagged"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "deviation_threshold: 0보다 커야 합니다(값: 0)"),
        ("100.5", "deviation_threshold: 100 이하여야 합니다(값: 100.5)"),
        ("12.345", "deviation_threshold: 소수점 이하 둘째 자리까지만 쓸 수 있습니다(값: 12.345)"),
    ],
)
def test_the_file_refuses_a_threshold_outside_0_to_100(value, message):
    with pytest.raises(CompetitionFileError) as refused:
        parse_competition_file(MINIMAL.replace("year = 2024", f"year = 2024\ndeviation_threshold = {value}"))
    assert refused.value.messages == [message]


def test_the_setting_reaches_the_command_and_the_page_and_the_exported_file(client, user_factory):
    from evaluation.demo import run_demo

    run_demo(StringIO())
    competition = Competition.objects.get(slug="smartcity-2023")
    assert competition.deviation_threshold == Decimal("10.00")
    assert flagged("smartcity-2023") == set()  # the demo's reviewers stay within 10 %
    competition.deviation_threshold = Decimal("2")
    competition.save()
    strict = flagged("smartcity-2023")
    assert strict and all("@example.com" in email for email in strict)
    client.force_login(user_factory(Role.OFFICIAL, "official-threshold"))
    page = client.get(reverse("official:analysis", args=["smartcity-2023"])).content.decode()
    assert "그 단계 만점의 2 %를 넘으면 주의로 표시합니다" in page
    assert "deviation_threshold = 2" in to_toml(competition_document(competition))


def test_the_database_and_the_field_refuse_a_threshold_outside_0_to_100(competition):
    with pytest.raises(IntegrityError), transaction.atomic():
        Competition.objects.filter(pk=competition.pk).update(deviation_threshold=0)
    competition.deviation_threshold = Decimal("150")
    with pytest.raises(ValidationError) as refused:
        competition.full_clean()
    assert list(refused.value.message_dict) == ["deviation_threshold"]
