"""Panels on the administrators' pages (issue 8): the list per stage, creating a panel, members
from a spreadsheet (preview → confirm), forming a panel and the draw, each with a confirmation
step; only administrators; the draw takes only members of the panel covering the track."""

from io import BytesIO, StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.roles import Role
from evaluation.domain.competition_file import load_competition_file
from evaluation.models import Assignment, Panel, ReviewerDraw, Stage
from proposals.models import AuditEntry, Track
from tests.conftest import APPLICANTS_XLSX, FIXTURES

pytestmark = pytest.mark.django_db

SLUG = "smartcity-2023"


@pytest.fixture
def staged(db):
    competition = load_competition_file(FIXTURES / "competition.toml").competition
    call_command("import_proposals", str(APPLICANTS_XLSX), competition=competition.slug, stdout=StringIO())
    return competition


@pytest.fixture
def document(staged):
    return Stage.objects.get(competition=staged, code="document")


@pytest.fixture
def admin(client, user_factory):
    client.force_login(user_factory(Role.ADMIN, "admin-kang"))
    return client


@pytest.fixture
def world(staged, document, make_reviewer):
    hub = Panel.objects.create(stage=document, name="거점형 서면평가")
    hub.tracks.set(Track.objects.filter(code="hub"))
    hub.members.set([make_reviewer(f"hub{n}", affiliation=f"거점기관{n}") for n in range(4)])
    small = Panel.objects.create(stage=document, name="강소형 서면평가")
    small.tracks.set(Track.objects.filter(code__in=["climate", "depopulation"]))
    small.members.set([make_reviewer(f"small{n}", affiliation=f"강소기관{n}") for n in range(4)])
    outsiders = [make_reviewer(f"sido{n}", affiliation=f"시도청{n}") for n in range(5)]
    return {"hub": hub, "small": small, "outsiders": outsiders}


def xlsx(rows, header=("평가위원",), name="위원.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def state():
    return (
        list(Panel.objects.order_by("pk").values_list("pk", "name")),
        sorted(Panel.tracks.through.objects.values_list("panel_id", "track_id")),
        sorted(Panel.members.through.objects.values_list("panel_id", "reviewer_id")),
        Assignment.objects.count(),
        ReviewerDraw.objects.count(),
        AuditEntry.objects.count(),
    )


def urls(world, document):
    return [
        ("get", reverse("manage:panels", args=[SLUG])),
        ("post", reverse("manage:panels", args=[SLUG])),
        ("get", reverse("manage:panel-members", args=[world["hub"].pk])),
        ("post", reverse("manage:panel-members-confirm", args=[world["hub"].pk])),
        ("get", reverse("manage:panel-form", args=[world["hub"].pk])),
        ("post", reverse("manage:panel-form", args=[world["hub"].pk])),
        ("get", reverse("manage:stage-draw", args=[SLUG, "document"])),
        ("post", reverse("manage:stage-draw", args=[SLUG, "document"])),
        ("get", reverse("manage:stage-draws", args=[SLUG, "document"])),
    ]


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.REVIEWER, None])
def test_only_administrators_may_use_the_panel_pages(client, world, document, user_factory, role):
    client.force_login(user_factory(role, f"user-{role}"))
    before = state()
    for method, url in urls(world, document):
        data = {
            "per_proposal": 2,
            "confirmed": "True",
            "reviewers": [world["outsiders"][0].pk],
            "filename": "x",
        }
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 403, url
    assert state() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, world, document):
    for method, url in urls(world, document):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_the_panels_page_lists_each_stage_with_panels_tracks_members_and_uncovered_tracks(admin, world):
    world["small"].tracks.set(Track.objects.filter(code="climate"))
    page = admin.get(reverse("manage:panels", args=[SLUG]))
    html = page.content.decode()
    assert page.status_code == 200
    for text in (
        "서면평가",
        "발표평가",
        "거점형 서면평가",
        "강소형 서면평가",
        "위원 hub0 (거점기관0)",
        "기후위기 대응형",
    ):
        assert text in html
    assert "위원 sido0" not in html
    assert reverse("manage:panel-members", args=[world["hub"].pk]) in html
    assert reverse("manage:stage-draw", args=[SLUG, "document"]) in html
    assert "지역소멸 대응형" in html  # the warning: no panel reviews it
    index = admin.get(reverse("manage:index")).content.decode()
    assert reverse("manage:panels", args=[SLUG]) in index


def test_an_administrator_creates_a_panel(admin, staged, document):
    tracks = Track.objects.filter(code__in=["climate", "depopulation"])
    response = admin.post(
        reverse("manage:panels", args=[SLUG]),
        {"stage": document.pk, "name": "강소형 서면평가", "tracks": [t.pk for t in tracks]},
    )
    panel = Panel.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "manage:panel-members", args=[panel.pk]
    )
    assert panel.stage == document and set(panel.tracks.all()) == set(tracks)
    entry = AuditEntry.objects.get(action="panel.created", object_id=str(panel.pk))
    assert entry.actor.username == "admin-kang"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "거점형 서면평가", "tracks": "hub"}, "duplicate"),
        ({"name": "", "tracks": "hub"}, "no_name"),
        ({"name": "새 위원회"}, "no_track"),
    ],
)
def test_creating_a_panel_with_bad_input_says_why_and_writes_nothing(admin, world, document, data, message):
    messages = {
        "duplicate": _("Stage %(stage)s already has a panel named '%(name)s'.")
        % {"stage": "서면평가", "name": "거점형 서면평가"},
        "no_name": _("Give the panel a name."),
        "no_track": _("Name at least one track the panel reviews."),
    }
    post = {"stage": document.pk, "name": data["name"]}
    if "tracks" in data:
        post["tracks"] = [Track.objects.get(code=data["tracks"]).pk]
    before = state()
    response = admin.post(reverse("manage:panels", args=[SLUG]), post)
    assert response.status_code == 400
    assert messages[message] in [
        str(e) for errors in response.context["form"].errors.values() for e in errors
    ]
    assert messages[message] in response.content.decode().replace("&#x27;", "'")
    assert state() == before


def test_members_from_a_spreadsheet_preview_writes_nothing_and_confirm_adds_them(admin, world, make_reviewer):
    new = make_reviewer("newbie", affiliation="새기관")
    hub = world["hub"]
    before = state()
    preview = admin.post(
        reverse("manage:panel-members", args=[hub.pk]),
        {"file": xlsx([["newbie@example.kr"], ["hub0"]])},
    )
    assert preview.status_code == 200 and state() == before
    html = preview.content.decode()
    assert "위원 newbie &lt;newbie@example.kr&gt;" in html
    assert reverse("manage:panel-members-confirm", args=[hub.pk]) in html
    assert preview.context["confirm_form"].initial["reviewers"] == [new.pk]  # the rows shown as new
    response = admin.post(
        reverse("manage:panel-members-confirm", args=[hub.pk]),
        {"reviewers": [new.pk], "filename": "위원.xlsx"},
    )
    assert response.status_code == 302
    assert new in hub.members.all() and hub.members.count() == 5
    entry = AuditEntry.objects.filter(object_type="panel", object_id=str(hub.pk)).order_by("sequence").last()
    assert entry.actor.username == "admin-kang" and entry.reason == "위원.xlsx"


def test_a_members_file_with_an_unknown_reviewer_shows_the_row_and_offers_no_confirmation(admin, world):
    before = state()
    preview = admin.post(
        reverse("manage:panel-members", args=[world["hub"].pk]),
        {"file": xlsx([["hub0"], ["nobody@example.kr"]])},
    )
    html = preview.content.decode().replace("&#x27;", "'")
    assert "3행 '평가위원': 등록되지 않은 평가위원입니다(아이디 또는 이메일): 'nobody@example.kr'" in html
    assert "confirm_form" not in preview.context
    assert reverse("manage:panel-members-confirm", args=[world["hub"].pk]) not in html
    assert state() == before


def test_forming_a_panel_shows_what_will_happen_then_forms_it(admin, world):
    hub = world["hub"]
    page = admin.get(reverse("manage:panel-form", args=[hub.pk]))
    assert page.status_code == 200
    assert page.context["proposal_count"] == 10 and page.context["pairs"] == 40
    assert not Assignment.objects.exists()
    response = admin.post(reverse("manage:panel-form", args=[hub.pk]), follow=True)
    assert "평가위원회 거점형 서면평가: 배정 40건 생성, 0건 유지, 이해충돌로 0건 제외" in [
        str(m) for m in response.context["messages"]
    ]
    assert set(Assignment.objects.values_list("reviewer_id", flat=True)) == set(
        hub.members.values_list("pk", flat=True)
    )


def test_the_draw_asks_for_confirmation_then_draws_only_panel_members(admin, world, document):
    url = reverse("manage:stage-draw", args=[SLUG, "document"])
    assert admin.get(url).status_code == 200
    before = state()
    confirm = admin.post(url, {"per_proposal": 2, "seed": 77})
    assert confirm.status_code == 200 and confirm.context["confirming"] and confirm.context["candidates"] == 6
    html = confirm.content.decode()
    assert "거점형 서면평가" in html and "강소형 서면평가" in html and "77" in html
    assert state() == before  # nothing drawn before the confirmation
    response = admin.post(url, {"per_proposal": 2, "seed": 77, "confirmed": "True"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "manage:stage-draws", args=[SLUG, "document"]
    )
    assert Assignment.objects.count() == 48
    outsiders = {r.pk for r in world["outsiders"]}
    for assignment in Assignment.objects.select_related("proposal__track"):
        panel = world["hub"] if assignment.proposal.track.code == "hub" else world["small"]
        assert assignment.reviewer_id in set(panel.members.values_list("pk", flat=True))
        assert assignment.reviewer_id not in outsiders
    draw = ReviewerDraw.objects.order_by("pk").first()
    assert draw.seed == 77 and draw.seats == 2 and draw.actor.username == "admin-kang"
    listing = admin.get(response["Location"])
    assert listing.status_code == 200 and draw.proposal.reference in listing.content.decode()


def test_the_draw_page_reports_a_track_without_a_panel(admin, world):
    world["small"].tracks.set(Track.objects.filter(code="climate"))
    url = reverse("manage:stage-draw", args=[SLUG, "document"])
    response = admin.post(url, {"per_proposal": 1, "seed": 1, "confirmed": "True"}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    expected = _(
        "No panel of %(stage)s covers track %(track)s: its %(count)s proposal(s) were not assigned. "
        "Form a panel for it and add its members, on the administration page (Panels) or with "
        "'python manage.py panels create --competition %(slug)s --stage %(code)s --name NAME "
        "--tracks %(track_code)s' and 'panels members', then draw again."
    ) % {
        "stage": "서면평가",
        "track": "지역소멸 대응형",
        "count": 7,
        "slug": SLUG,
        "code": "document",
        "track_code": "depopulation",
    }
    assert expected in texts
    assert not Assignment.objects.filter(proposal__track__code="depopulation").exists()


def test_a_draw_with_a_bad_number_of_reviewers_is_refused(admin, world):
    before = state()
    response = admin.post(
        reverse("manage:stage-draw", args=[SLUG, "document"]), {"per_proposal": 0, "confirmed": "True"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["per_proposal"] == [_("Ask for at least 1 reviewer per proposal.")]
    assert state() == before
