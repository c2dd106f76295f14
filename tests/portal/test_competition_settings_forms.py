"""Adding and removing entries of a competition's settings, and a new competition, through forms
(issue 9): each form appends to (or removes from) the competition file as it stands, which the
loader checks — its Korean messages at the inputs they name — and previews; nothing is written
before the confirmation."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.roles import Role
from evaluation.domain.competition_export import competition_document
from evaluation.models import Adjustment, AdjustmentItem, Criterion, Panel, Stage
from proposals.models import AuditEntry, Category, Competition, ImportUpload, Track
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

SLUG = "smartcity-2023"


@pytest.fixture
def loaded(db):
    call_command("load_competition", str(FIXTURES / "competition.toml"), stdout=StringIO())
    return Competition.objects.get(slug=SLUG)


def state():
    """Everything a settings form may write: the competitions as their files, uploads, audit."""
    return (
        [competition_document(competition) for competition in Competition.objects.order_by("pk")],
        ImportUpload.objects.count(),
        AuditEntry.objects.count(),
    )


def preview_of(client, response) -> str:
    """The preview the form sent the admin to (its changes, nothing written yet)."""
    upload = ImportUpload.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("manage:competition-load-preview", args=[upload.pk])
    return client.get(response.url).content.decode()


def confirm(client):
    upload = ImportUpload.objects.get()
    response = client.post(
        reverse("manage:competition-load-confirm", args=[upload.pk]), {"sha256": upload.sha256}
    )
    assert response.url == reverse("manage:competition-load-result", args=[upload.pk])


def refused(client, url, data, errors: dict[str, str]) -> str:
    """Post bad input: 400, each message at its input (``id_<field>_error``), nothing written."""
    before = state()
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    for field, message in errors.items():
        assert f'id="id_{field}_error"' in page, field
        error = page.split(f'id="id_{field}_error"', 1)[1].split("</p>", 1)[0]
        assert escape(message) in error, (field, error)
    assert state() == before
    return page


def track_data(prefix="", **changes):
    values = {"code": "island", "name": "섬 지역형", "slots": "1", "subsidy": "80", "matching_ratio": "1"}
    values.update(changes)
    return {f"{prefix}{key}": value for key, value in values.items()}


def criterion_data(prefix="", **changes):
    values = {"code": "C6", "name": "지역 연계성", "description": "", "max": "10", "step": "0.5"}
    values.update(changes)
    return {f"{prefix}{key}": value for key, value in values.items()}


# --- 1. Adding ---------------------------------------------------------------------------------


def test_a_new_category_with_its_first_track_is_previewed_then_written(admin_client, loaded):
    url = reverse("manage:settings-add-category", args=[SLUG])
    page = admin_client.get(url).content.decode()
    assert 'id="id_category-code"' in page and 'id="id_track-subsidy"' in page
    assert "categories[2].tracks[0]" in page
    before = state()
    data = {"category-code": "island", "category-name": "도서형", **track_data("track-")}
    preview = preview_of(admin_client, admin_client.post(url, data))
    assert "사업 유형 island 생성" in preview and "트랙 island 생성" in preview
    assert state()[0] == before[0] and not Category.objects.filter(code="island").exists()
    confirm(admin_client)
    track = Track.objects.get(code="island")
    assert (track.category.code, track.category.name, track.slots, track.subsidy) == (
        "island",
        "도서형",
        1,
        80,
    )


def test_a_new_category_shows_the_loaders_messages_at_its_inputs(admin_client, loaded):
    data = {"category-code": "hub", "category-name": "도서형", **track_data("track-", subsidy="")}
    refused(
        admin_client,
        reverse("manage:settings-add-category", args=[SLUG]),
        data,
        {
            "category-code": "categories[2].code: 사업 유형 코드가 중복됩니다: 'hub'",
            "track-subsidy": "categories[2].tracks[0].subsidy: 필수 항목입니다",
        },
    )


def test_a_new_track_joins_its_category(admin_client, loaded):
    url = reverse("manage:settings-add-track", args=[SLUG, "small"])
    assert "categories[1].tracks[2]" in admin_client.get(url).content.decode()
    preview = preview_of(admin_client, admin_client.post(url, track_data()))
    assert "트랙 island 생성" in preview
    assert not Track.objects.filter(code="island").exists()
    confirm(admin_client)
    assert Track.objects.get(code="island").category.code == "small"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"code": "hub"}, "code", "categories[1].tracks[2].code: 트랙 코드가 중복됩니다: 'hub'"),
        (
            {"slots": ""},
            "slots",
            "categories[1].tracks[2].slots: 필수 항목입니다(또는 사업 유형에 slots를 지정해 트랙들이 "
            "선정 수를 공동으로 가지게 해 주세요)",
        ),
    ],
)
def test_a_new_track_with_bad_input_writes_nothing(admin_client, loaded, changes, field, message):
    url = reverse("manage:settings-add-track", args=[SLUG, "small"])
    page = refused(admin_client, url, track_data(**changes), {field: message})
    assert 'value="섬 지역형"' in page  # the input is shown again


def test_a_new_stage_names_who_advances_from_the_stage_that_was_last(admin_client, loaded):
    url = reverse("manage:settings-add-stage", args=[SLUG])
    page = admin_client.get(url).content.decode()
    assert 'id="id_previous-advance_top_multiple"' in page and "stages[1]" in page
    assert 'id="id_stage-advance_top_multiple"' not in page  # the new stage is the last: none advance
    data = {
        "stage-code": "interview",
        "stage-name": "현장평가",
        **criterion_data("criterion-", code="V1"),
        "previous-advance_top_multiple": "2",
        "previous-advance_cutoff": "",
    }
    preview = preview_of(admin_client, admin_client.post(url, data))
    assert "단계 interview 생성" in preview
    assert "stages.interview: 평가항목 V1 생성" in preview
    assert "stages.presentation.advance_top_multiple: None → 2" in preview
    assert not Stage.objects.filter(code="interview").exists()
    confirm(admin_client)
    assert list(Stage.objects.filter(competition=loaded).values_list("code", flat=True)) == [
        "document",
        "presentation",
        "interview",
    ]
    assert Stage.objects.get(code="presentation").advance_top_multiple == 2


def test_a_new_stage_with_bad_input_writes_nothing(admin_client, loaded):
    data = {
        "stage-code": "interview",
        "stage-name": "현장평가",
        **criterion_data("criterion-", max="10.3"),
        "previous-advance_top_multiple": "",
        "previous-advance_cutoff": "",
    }
    refused(
        admin_client,
        reverse("manage:settings-add-stage", args=[SLUG]),
        data,
        {
            "previous-advance_top_multiple": "stages[1].advance_top_multiple: 마지막 단계가 아니면 필수입니다"
            "(또는 advance_cutoff)",
            "criterion-max": "stages[2].criteria[0].max: 단계(step) 0.5의 배수여야 합니다(값: 10.3)",
        },
    )


def test_the_first_stage_of_a_competition_needs_no_advance_rule(admin_client, competition):
    url = reverse("manage:settings-add-stage", args=[SLUG])
    assert "previous-advance" not in admin_client.get(url).content.decode()
    data = {"stage-code": "document", "stage-name": "서면평가", **criterion_data("criterion-", code="C1")}
    preview = preview_of(admin_client, admin_client.post(url, data))
    assert "단계 document 생성" in preview


@pytest.fixture
def weighted(db, tmp_path):
    """The reference competition with weighted final scores: 서면평가 40, 발표평가 60."""
    text = (FIXTURES / "competition.toml").read_text(encoding="utf-8")
    text = text.replace('final = "last"', 'final = "weighted"')
    text = text.replace('name = "서면평가"\n', 'name = "서면평가"\nweight = 40\n')
    text = text.replace('name = "발표평가"\n', 'name = "발표평가"\nweight = 60\n')
    path = tmp_path / "weighted.toml"
    path.write_text(text, encoding="utf-8")
    call_command("load_competition", str(path), stdout=StringIO())
    return Competition.objects.get(slug=SLUG)


def test_a_new_stage_of_weighted_scores_changes_every_weight_together(admin_client, weighted):
    url = reverse("manage:settings-add-stage", args=[SLUG])
    page = admin_client.get(url).content.decode()
    assert 'id="id_stage-weight"' in page and 'id="id_previous-weight"' in page
    assert 'id="id_stage0-weight"' in page and 'value="40"' in page
    data = {
        "stage-code": "interview",
        "stage-name": "현장평가",
        "stage-weight": "20",
        **criterion_data("criterion-", code="V1"),
        "stage0-weight": "40",
        "previous-weight": "60",
        "previous-advance_top_multiple": "2",
    }
    before = state()
    page = admin_client.post(url, data).content.decode()
    assert escape("stages: 단계 가중치의 합은 100이어야 합니다(값: 120)") in page
    assert state() == before
    preview = preview_of(admin_client, admin_client.post(url, {**data, "previous-weight": "40"}))
    assert "stages.presentation.weight: 60.00 → 40" in preview and "단계 interview 생성" in preview


def test_removing_a_stage_of_weighted_scores_asks_the_remaining_weights(admin_client, weighted):
    url = reverse("manage:settings-remove-stage", args=[SLUG, "document"])
    page = admin_client.get(url).content.decode()
    assert 'id="id_stage0-weight"' in page and 'value="60"' in page
    refused(
        admin_client,
        url,
        {"stage0-weight": "-5"},
        {"stage0-weight": "stages[0].weight: 0 이상이어야 합니다(값: -5)"},
    )
    before = state()
    response = admin_client.post(url, {"stage0-weight": "60"})
    assert response.status_code == 400
    assert escape("stages: 단계 가중치의 합은 100이어야 합니다(값: 60)") in response.content.decode()
    assert state() == before
    preview = preview_of(admin_client, admin_client.post(url, {"stage0-weight": "100"}))
    assert "단계 document 삭제" in preview and "stages.presentation.weight: 60.00 → 100" in preview


def test_a_new_criterion_joins_its_stage(admin_client, loaded):
    url = reverse("manage:settings-add-criterion", args=[SLUG, "document"])
    assert "stages[0].criteria[5]" in admin_client.get(url).content.decode()
    preview = preview_of(admin_client, admin_client.post(url, criterion_data(tracks="hub")))
    assert "stages.document: 평가항목 C6 생성" in preview
    assert not Criterion.objects.filter(code="C6").exists()
    confirm(admin_client)
    criterion = Criterion.objects.get(code="C6")
    assert [track.code for track in criterion.rubric.tracks.all()] == ["hub"]


def test_a_new_criterion_with_bad_input_writes_nothing(admin_client, loaded):
    refused(
        admin_client,
        reverse("manage:settings-add-criterion", args=[SLUG, "document"]),
        criterion_data(tracks="nowhere"),
        {
            "tracks": "stages[0].criteria[5].tracks: 알 수 없는 트랙 코드입니다: 'nowhere' "
            "(hub, climate, depopulation 중 하나)"
        },
    )


def test_a_new_penalty_item_is_previewed_then_written(admin_client, loaded):
    url = reverse("manage:settings-add-adjustment-item", args=[SLUG])
    assert "adjustment_items[0]" in admin_client.get(url).content.decode()
    data = {"code": "sanction", "name": "부진 감점", "max": "-1.5"}
    preview = preview_of(admin_client, admin_client.post(url, data))
    assert "가점·감점 항목 sanction 생성" in preview
    assert not AdjustmentItem.objects.exists()
    confirm(admin_client)
    assert AdjustmentItem.objects.get(code="sanction").max_points == Decimal("-1.5")


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"code": "sanction", "name": "부진 감점", "max": "0"},
            "max",
            "adjustment_items[0].max: 0보다 큰 가점이나 0보다 작은 감점이어야 합니다(값: 0)",
        ),
        (
            {"code": "부진", "name": "부진 감점", "max": "-1"},
            "code",
            "adjustment_items[0].code: 영문 소문자, 숫자, '-', '_'만 쓸 수 있습니다(값: '부진')",
        ),
    ],
)
def test_a_new_item_with_bad_input_writes_nothing(admin_client, loaded, data, field, message):
    refused(admin_client, reverse("manage:settings-add-adjustment-item", args=[SLUG]), data, {field: message})


def test_adding_to_an_entry_not_in_the_competition_is_not_found(admin_client, loaded):
    assert admin_client.get(reverse("manage:settings-add-track", args=[SLUG, "nowhere"])).status_code == 404
    assert (
        admin_client.get(reverse("manage:settings-add-criterion", args=[SLUG, "nowhere"])).status_code == 404
    )


def test_the_settings_page_links_the_new_forms(admin_client, loaded):
    page = admin_client.get(reverse("manage:settings", args=[SLUG])).content.decode()
    for name, args in (
        ("manage:settings-add-category", []),
        ("manage:settings-add-track", ["small"]),
        ("manage:settings-add-stage", []),
        ("manage:settings-add-criterion", ["document"]),
        ("manage:settings-add-adjustment-item", []),
        ("manage:settings-remove-stage", ["presentation"]),
        ("manage:settings-remove-criterion", ["document", 4]),
    ):
        assert reverse(name, args=[SLUG, *args]) in page, name


# --- 2. Editing a bonus or penalty item ----------------------------------------------------------


@pytest.fixture
def items(loaded):
    return [
        AdjustmentItem.objects.create(
            competition=loaded, code="investment", name="투자심사 완료", max_points=1
        ),
        AdjustmentItem.objects.create(
            competition=loaded, code="sanction", name="부진 감점", max_points="-1.5", order=1
        ),
    ]


def test_an_item_form_changes_that_item(admin_client, items):
    url = reverse("manage:settings-adjustment-item", args=[SLUG, "sanction"])
    page = admin_client.get(url).content.decode()
    assert 'value="-1.5"' in page and "adjustment_items[1]" in page
    preview = preview_of(admin_client, admin_client.post(url, {"name": "사업 부진 감점", "max": "-2"}))
    assert "adjustment_items.sanction.name: 부진 감점 → 사업 부진 감점" in preview
    assert "adjustment_items.sanction.max_points: -1.50 → -2" in preview
    assert AdjustmentItem.objects.get(code="sanction").max_points == Decimal("-1.5")
    confirm(admin_client)
    assert AdjustmentItem.objects.get(code="sanction").name == "사업 부진 감점"


def test_an_item_form_with_bad_input_writes_nothing(admin_client, items):
    refused(
        admin_client,
        reverse("manage:settings-adjustment-item", args=[SLUG, "sanction"]),
        {"name": "", "max": "0"},
        {
            "name": "adjustment_items[1].name: 필수 항목입니다",
            "max": "adjustment_items[1].max: 0보다 큰 가점이나 0보다 작은 감점이어야 합니다(값: 0)",
        },
    )


def test_an_item_not_in_the_competition_is_not_found(admin_client, items):
    response = admin_client.get(reverse("manage:settings-adjustment-item", args=[SLUG, "nowhere"]))
    assert response.status_code == 404


# --- 3. Removing -------------------------------------------------------------------------------


def test_removing_the_last_stage_names_it_and_its_criteria_then_previews(admin_client, loaded):
    url = reverse("manage:settings-remove-stage", args=[SLUG, "presentation"])
    page = admin_client.get(url).content.decode()
    assert "발표평가" in page and "사업내용의 적정성" in page and "stages[1]" in page
    before = state()
    preview = preview_of(admin_client, admin_client.post(url))
    assert "단계 presentation 삭제" in preview
    # The stage before it is now the last: it advances no one.
    assert "stages.document.advance_top_multiple: 3.00 → None" in preview
    assert state()[0] == before[0]
    confirm(admin_client)
    assert list(Stage.objects.values_list("code", flat=True)) == ["document"]


def test_a_stage_with_a_panel_is_not_removed(admin_client, loaded):
    Panel.objects.create(stage=Stage.objects.get(code="presentation"), name="발표평가 위원회")
    refused_page = _refused_removal(
        admin_client, reverse("manage:settings-remove-stage", args=[SLUG, "presentation"])
    )
    assert (
        escape("stages: 파일에 없는 단계 'presentation'에 평가위원회나 배정이 있어 삭제할 수 없습니다")
        in refused_page
    )


def _refused_removal(client, url) -> str:
    before = state()
    response = client.post(url)
    assert response.status_code == 400
    assert state() == before
    return response.content.decode()


def test_removing_a_criterion_previews_then_writes(admin_client, loaded):
    url = reverse("manage:settings-remove-criterion", args=[SLUG, "document", 4])
    assert "기대효과" in admin_client.get(url).content.decode()
    preview = preview_of(admin_client, admin_client.post(url))
    assert "stages.document: 평가항목 C5 삭제" in preview
    assert Criterion.objects.filter(rubric__stage__code="document").count() == 5
    confirm(admin_client)
    assert Criterion.objects.filter(rubric__stage__code="document").count() == 4


def test_a_criterion_with_scores_is_not_removed(
    admin_client, competition, make_criteria, make_proposal, make_reviewer, make_assignment, submit_sheet
):
    make_criteria(2)
    assignment = make_assignment(make_proposal(), make_reviewer("kim"), confirmed=True)
    submit_sheet(assignment, [10, 10], draft_only=True)
    page = _refused_removal(
        admin_client, reverse("manage:settings-remove-criterion", args=[SLUG, "test-written", 0])
    )
    assert (
        escape("stages.test-written: 파일에 없는 평가항목 'C1'에 입력된 점수가 있어 삭제할 수 없습니다")
        in page
    )


def test_removing_an_item_previews_then_writes(admin_client, items):
    url = reverse("manage:settings-remove-adjustment-item", args=[SLUG, "investment"])
    assert "투자심사 완료" in admin_client.get(url).content.decode()
    preview = preview_of(admin_client, admin_client.post(url))
    assert "가점·감점 항목 investment 삭제" in preview
    assert AdjustmentItem.objects.count() == 2
    confirm(admin_client)
    assert list(AdjustmentItem.objects.values_list("code", flat=True)) == ["sanction"]


def test_an_item_with_recorded_points_is_not_removed(admin_client, items, make_proposal):
    Adjustment.objects.create(proposal=make_proposal(), item=items[0], points=Decimal(1), reason="투자심사")
    page = _refused_removal(
        admin_client, reverse("manage:settings-remove-adjustment-item", args=[SLUG, "investment"])
    )
    assert escape("adjustment_items: 'investment' 항목에 기록된 점수가 있어 파일에서 뺄 수 없습니다") in page


def test_the_only_item_cannot_be_removed_through_the_file(admin_client, loaded):
    """A file without [[adjustment_items]] keeps the items, and an empty list is not a list of
    tables: the loader's message, nothing written (removing the last item needs a loader change)."""
    AdjustmentItem.objects.create(competition=loaded, code="investment", name="투자심사 완료", max_points=1)
    url = reverse("manage:settings-remove-adjustment-item", args=[SLUG, "investment"])
    page = _refused_removal(admin_client, url)
    assert escape("adjustment_items: 테이블 목록([[adjustment_items]])이어야 합니다") in page


def test_removing_what_is_not_in_the_competition_is_not_found(admin_client, loaded):
    assert (
        admin_client.get(reverse("manage:settings-remove-stage", args=[SLUG, "nowhere"])).status_code == 404
    )
    url = reverse("manage:settings-remove-criterion", args=[SLUG, "document", 9])
    assert admin_client.post(url).status_code == 404
    assert ImportUpload.objects.count() == 0


# --- 4. A new competition ------------------------------------------------------------------------


def new_competition_data(**changes):
    values = {
        "competition-slug": "fishing-2024",
        "competition-name": "2024년 어촌신활력 증진사업",
        "competition-year": "2024",
        "competition-organization": "해양수산부",
        "category-code": "village",
        "category-name": "어촌형",
        "track-code": "village",
        "track-name": "어촌형",
        "track-slots": "3",
        "track-subsidy": "100",
    }
    values.update(changes)
    return values


def test_a_new_competition_from_a_form_is_previewed_then_created(admin_client, db):
    index = admin_client.get(reverse("manage:index")).content.decode()
    assert reverse("manage:competition-new") in index
    url = reverse("manage:competition-new")
    page = admin_client.get(url).content.decode()
    assert 'id="id_competition-slug"' in page and 'id="id_track-subsidy_helptext"' in page
    preview = preview_of(admin_client, admin_client.post(url, new_competition_data()))
    assert "공모 fishing-2024 생성" in preview and "트랙 village 생성" in preview
    assert not Competition.objects.exists()
    confirm(admin_client)
    competition = Competition.objects.get(slug="fishing-2024")
    assert (competition.name, competition.year, competition.organization) == (
        "2024년 어촌신활력 증진사업",
        2024,
        "해양수산부",
    )
    track = Track.objects.get(category__competition=competition)
    assert (track.code, track.slots, track.subsidy) == ("village", 3, 100)
    settings_page = admin_client.get(reverse("manage:settings", args=["fishing-2024"]))
    assert settings_page.status_code == 200


def test_a_new_competition_with_bad_input_writes_nothing(admin_client, db):
    refused(
        admin_client,
        reverse("manage:competition-new"),
        new_competition_data(
            **{"competition-slug": "Fishing 2024", "competition-year": "1999", "track-slots": ""}
        ),
        {
            "competition-slug": "slug: 영문 소문자, 숫자, '-', '_'만 쓸 수 있습니다(값: 'Fishing 2024')",
            "competition-year": "year: 2000 이상이어야 합니다(값: 1999)",
            "track-slots": "categories[0].tracks[0].slots: 필수 항목입니다(또는 사업 유형에 slots를 지정해 "
            "트랙들이 선정 수를 공동으로 가지게 해 주세요)",
        },
    )


def test_a_new_competition_does_not_overwrite_one_that_exists(admin_client, loaded):
    message = _("Competition %(slug)s already exists: change it on its settings page.") % {"slug": SLUG}
    refused(
        admin_client,
        reverse("manage:competition-new"),
        new_competition_data(**{"competition-slug": SLUG}),
        {"competition-slug": message},
    )


# --- Only admins --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("manage:settings-add-category", [SLUG]),
        ("manage:settings-add-track", [SLUG, "small"]),
        ("manage:settings-add-stage", [SLUG]),
        ("manage:settings-add-criterion", [SLUG, "document"]),
        ("manage:settings-add-adjustment-item", [SLUG]),
        ("manage:settings-adjustment-item", [SLUG, "investment"]),
        ("manage:settings-remove-stage", [SLUG, "presentation"]),
        ("manage:settings-remove-criterion", [SLUG, "document", 0]),
        ("manage:settings-remove-adjustment-item", [SLUG, "investment"]),
        ("manage:competition-new", []),
    ],
)
def test_only_admins_use_the_forms(client, items, user_factory, name, args):
    client.force_login(user_factory(Role.OFFICIAL))
    before = state()
    assert client.get(reverse(name, args=args)).status_code == 403
    data = {**new_competition_data(), **track_data(), "code": "x", "name": "x", "max": "1"}
    assert client.post(reverse(name, args=args), data).status_code == 403
    assert state() == before
