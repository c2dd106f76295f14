"""Who may open each page: every named URL of the site × every kind of visitor.

The matrix is checked against the URL configuration itself, so a page added without a row here
fails `test_every_url_is_in_the_matrix`. Statuses are for a GET; POST-only pages answer 405 to
those allowed to use them. LOGIN means a redirect to the sign-in page.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import Role
from evaluation.models import Adjustment, AdjustmentItem, Conflict, Panel
from proposals.documents.bundles import stage_bundle
from proposals.documents.service import add_document
from proposals.models import ImportUpload
from tests.documents import make_zip, pdf_bytes

pytestmark = pytest.mark.django_db

VISITORS = ("anonymous", "assigned", "not_assigned", "conflicted", "official", "admin")
LOGIN = "login"
ADMIN_LOGIN = "admin-login"
ANYONE = (200,) * 6
ADMINS_ONLY = (LOGIN, 403, 403, 403, 403, 200)
ADMINS_ONLY_POST = (LOGIN, 403, 403, 403, 403, 405)
OFFICIALS = (LOGIN, 403, 403, 403, 200, 200)
OFFICIALS_POST = (LOGIN, 403, 403, 403, 405, 405)

# name → expected status per visitor, in the order of VISITORS.
MATRIX = {
    "home": (302,) * 6,  # each role to its own start page
    "public-landing": ANYONE,
    "privacy": ANYONE,
    "public-results": (404,) * 6,  # anyone; 404 until the competition has a publication
    "public-results-json": (404,) * 6,  # open data: likewise
    "public-results-csv": (404,) * 6,
    # A result letter's link (issue 13): the token is the key, for anyone; a bogus one is 404.
    "letter": (404,) * 6,
    "letter-appeal": (404,) * 6,
    "letter-appeal-attachment": (404,) * 6,
    "login": (200, 302, 302, 302, 302, 302),  # a signed-in user is sent on
    "logout": (405,) * 6,  # POST only
    "set-password": ANYONE,  # a signed link; an invalid one says so
    "set-password-done": ANYONE,
    "set_language": (302,) * 6,  # a GET changes nothing and goes back
    "admin:index": (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
    "manage:index": ADMINS_ONLY,
    "manage:import-proposals": ADMINS_ONLY,
    "manage:proposals-template": ADMINS_ONLY,
    "manage:import-preview": ADMINS_ONLY,
    "manage:import-confirm": ADMINS_ONLY_POST,
    "manage:import-result": ADMINS_ONLY,
    "manage:import-errors": ADMINS_ONLY,
    "manage:documents": ADMINS_ONLY,
    "manage:proposal-documents": ADMINS_ONLY,
    "manage:document-replace": ADMINS_ONLY_POST,
    "manage:document-delete": ADMINS_ONLY_POST,
    "manage:documents-bulk": ADMINS_ONLY,
    "manage:documents-bulk-preview": ADMINS_ONLY,
    "manage:documents-bulk-confirm": ADMINS_ONLY_POST,
    # Setting up in the browser: the competition file, reviewer and score imports, accounts.
    "manage:competition-load": ADMINS_ONLY,
    "manage:competition-load-preview": ADMINS_ONLY,
    "manage:competition-load-confirm": ADMINS_ONLY_POST,
    "manage:competition-load-result": (LOGIN, 403, 403, 403, 403, 302),  # not applied: to its preview
    "manage:competition-delete": ADMINS_ONLY,
    "manage:import-reviewers": ADMINS_ONLY,
    "manage:reviewers-template": ADMINS_ONLY,
    "manage:import-scores": ADMINS_ONLY,
    "manage:scores-template": ADMINS_ONLY,
    "manage:accounts": ADMINS_ONLY,
    "manage:account-send-link": ADMINS_ONLY_POST,
    "manage:settings": ADMINS_ONLY,
    "manage:competition-file": ADMINS_ONLY,
    "manage:settings-competition": ADMINS_ONLY,
    "manage:settings-category": ADMINS_ONLY,
    "manage:settings-track": ADMINS_ONLY,
    "manage:settings-stage": ADMINS_ONLY,
    "manage:settings-criterion": ADMINS_ONLY,
    "manage:settings-adjustment-item": ADMINS_ONLY,
    "manage:settings-add-category": ADMINS_ONLY,
    "manage:settings-add-track": ADMINS_ONLY,
    "manage:settings-add-stage": ADMINS_ONLY,
    "manage:settings-add-criterion": ADMINS_ONLY,
    "manage:settings-add-adjustment-item": ADMINS_ONLY,
    "manage:settings-remove-stage": ADMINS_ONLY,
    "manage:settings-remove-criterion": ADMINS_ONLY,
    "manage:settings-remove-adjustment-item": ADMINS_ONLY,
    "manage:competition-new": ADMINS_ONLY,
    # A proposal's document: officials and admins; reviewers as for the sheet (below).
    "official:document": OFFICIALS,
    "manage:import-progress": ADMINS_ONLY,  # JSON; an admin sees only the progress of their own
    "manage:panels": ADMINS_ONLY,
    "manage:panel-members": ADMINS_ONLY,
    "manage:panel-members-confirm": ADMINS_ONLY_POST,
    "manage:panel-form": ADMINS_ONLY,
    "manage:stage-draw": ADMINS_ONLY,
    "manage:stage-draws": ADMINS_ONLY,
    "official:index": OFFICIALS,
    "official:progress": OFFICIALS,
    "official:remind": OFFICIALS_POST,
    "official:proposal": OFFICIALS,
    "official:reopen-sheet": OFFICIALS_POST,
    "official:record-challenge": OFFICIALS_POST,
    "official:ranking": OFFICIALS,
    "official:analysis": OFFICIALS,  # issue 13: advisory analysis
    "official:ranking-csv": OFFICIALS,
    "official:reviewer-totals-csv": OFFICIALS,
    "official:ranking-xlsx": OFFICIALS,
    "official:draw": OFFICIALS,
    "official:proposal-scores": OFFICIALS,
    "official:record-adjustment": OFFICIALS_POST,
    "official:delete-adjustment": OFFICIALS,  # asks why first; the POST deletes
    # Result letters and appeals (issue 13). The world has no publication: the list pages say so,
    # the letter pages send back to the list, and pages of an appeal that does not exist are 404.
    "official:letters": OFFICIALS,
    "official:letters-pdf": (LOGIN, 403, 403, 403, 302, 302),
    "official:letters-issue": (LOGIN, 403, 403, 403, 302, 302),  # asks first; the POST issues
    "official:letter-print": (LOGIN, 403, 403, 403, 302, 302),
    "official:letter-issue": (LOGIN, 403, 403, 403, 302, 302),
    "official:letter-revoke": (LOGIN, 403, 403, 403, 404, 404),  # no letter in force
    "official:appeals": OFFICIALS,
    "official:appeal": (LOGIN, 403, 403, 403, 404, 404),
    "official:appeal-attachment": (LOGIN, 403, 403, 403, 404, 404),
    "official:appeal-add-member": OFFICIALS_POST,
    "official:appeal-remove-member": (LOGIN, 403, 403, 403, 404, 404),  # asks why first
    "official:appeal-decide": OFFICIALS_POST,
    "publication:index": OFFICIALS,
    "publication:competition": OFFICIALS,
    "publication:publish": OFFICIALS_POST,
    # Reviewers see only their own assignment; a conflicted or unassigned reviewer gets 404.
    "review:index": (LOGIN, 200, 200, 200, 403, 403),
    "review:competition": (LOGIN, 200, 200, 200, 403, 403),
    "review:pledge": (LOGIN, 200, 200, 200, 403, 403),
    "review:sheet": (LOGIN, 200, 404, 404, 403, 403),
    "review:conflict": (LOGIN, 200, 404, 404, 403, 403),
    "review:document": (LOGIN, 200, 404, 404, 403, 403),
    "review:autosave": (LOGIN, 405, 404, 404, 403, 403),  # POST only (JSON), the sheet's rules
}


def named_urls(resolver=None, namespace=""):
    """Every named pattern of the URLconf as "namespace:name"; Django admin's own pages are
    represented by admin:index (the admin site checks staff status for all of them)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                yield "admin:index"
                continue
            yield from named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


@pytest.fixture
def world(
    competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, pledged, user_factory
):
    make_criteria(2)
    proposal = make_proposal(applicant="울산광역시")
    assigned, not_assigned, conflicted = (make_reviewer(name) for name in ("kim", "lee", "park"))
    for reviewer in (assigned, not_assigned, conflicted):
        pledged(reviewer)
    assignment = make_assignment(proposal, assigned, confirmed=True)
    make_assignment(make_proposal(), not_assigned, confirmed=True)
    make_assignment(proposal, conflicted, confirmed=True)
    Conflict.objects.create(
        proposal=proposal, reviewer=conflicted, kind=Conflict.Kind.AUTOMATIC, reason="소속 기관"
    )
    admin = user_factory(Role.ADMIN, "admin-1")
    admin.is_staff = True
    admin.save()
    upload = ImportUpload.objects.create(
        kind=ImportUpload.Kind.PROPOSALS,
        competition=competition,
        filename="a.xlsx",
        content=b"x",
        sha256=ImportUpload.digest(b"x"),
        uploaded_by=admin,
        summary={"rows": [], "counts": {}, "summary": [], "missing": []},
    )
    competition_file = ImportUpload.objects.create(
        kind=ImportUpload.Kind.COMPETITION,
        filename="competition.toml",
        content=b"x",
        sha256=ImportUpload.digest(b"x"),
        uploaded_by=admin,
        summary={"slug": "x", "name": "x", "created": True, "changes": ["x"], "errors": []},
    )
    document = add_document(proposal, "plan", "사업계획서.pdf", pdf_bytes(), admin, "등록")
    bundle = stage_bundle(
        competition, "a.zip", make_zip([(f"{proposal.reference}_첨부.pdf", pdf_bytes())]), admin
    )
    panel = Panel.objects.create(stage=stage, name="평가위원회")
    adjustment = Adjustment.objects.create(proposal=proposal, points=1, reason="가점", recorded_by=admin)
    item = AdjustmentItem.objects.create(
        competition=competition, code="investment", name="투자심사", max_points=1
    )
    slug, code = competition.slug, stage.code
    return {
        "args": {
            "set-password": ["MQ", "not-a-token"],
            "manage:import-proposals": [slug],
            "manage:import-preview": [upload.pk],
            "manage:import-confirm": [upload.pk],
            "manage:import-result": [upload.pk],
            "manage:import-errors": [upload.pk],
            "manage:documents": [slug],
            "manage:proposal-documents": [slug, proposal.pk],
            "manage:document-replace": [document.pk],
            "manage:document-delete": [document.pk],
            "manage:documents-bulk": [slug],
            "manage:documents-bulk-preview": [bundle.pk],
            "manage:documents-bulk-confirm": [bundle.pk],
            "manage:competition-load-preview": [competition_file.pk],
            "manage:competition-load-confirm": [competition_file.pk],
            "manage:competition-load-result": [competition_file.pk],
            "manage:competition-delete": [slug],
            "manage:import-reviewers": [slug],
            "manage:import-scores": [slug],
            "manage:scores-template": [slug, code],
            "manage:account-send-link": [assigned.user.pk],
            "manage:settings": [slug],
            "manage:competition-file": [slug],
            "manage:settings-competition": [slug],
            "manage:settings-category": [slug, "hub"],
            "manage:settings-track": [slug, "hub"],
            "manage:settings-stage": [slug, code],
            "manage:settings-criterion": [slug, code, 0],
            "manage:settings-adjustment-item": [slug, item.code],
            "manage:settings-add-category": [slug],
            "manage:settings-add-track": [slug, "hub"],
            "manage:settings-add-stage": [slug],
            "manage:settings-add-criterion": [slug, code],
            "manage:settings-add-adjustment-item": [slug],
            "manage:settings-remove-stage": [slug, code],
            "manage:settings-remove-criterion": [slug, code, 0],
            "manage:settings-remove-adjustment-item": [slug, item.code],
            "official:document": [slug, proposal.pk, document.pk],
            "manage:import-progress": [uuid.uuid4()],
            "manage:panels": [slug],
            "manage:panel-members": [panel.pk],
            "manage:panel-members-confirm": [panel.pk],
            "manage:panel-form": [panel.pk],
            "manage:stage-draw": [slug, code],
            "manage:stage-draws": [slug, code],
            "official:progress": [slug, code],
            "official:remind": [slug, code],
            "official:proposal": [slug, code, proposal.pk],
            "official:reopen-sheet": [slug, code, proposal.pk],
            "official:record-challenge": [slug, code, proposal.pk],
            "official:ranking": [slug],
            "official:analysis": [slug],
            "official:ranking-csv": [slug],
            "official:reviewer-totals-csv": [slug],
            "official:ranking-xlsx": [slug],
            "official:draw": [slug],
            "official:proposal-scores": [slug, code, proposal.pk],
            "official:record-adjustment": [slug, code, proposal.pk],
            "official:delete-adjustment": [slug, code, proposal.pk, adjustment.pk],
            "official:letters": [slug],
            "official:letters-pdf": [slug],
            "official:letters-issue": [slug],
            "official:letter-print": [slug, proposal.pk],
            "official:letter-issue": [slug, proposal.pk],
            "official:letter-revoke": [slug, proposal.pk],
            "official:appeals": [slug],
            "official:appeal": [slug, 999999],
            "official:appeal-attachment": [slug, 999999],
            "official:appeal-add-member": [slug, 999999],
            "official:appeal-remove-member": [slug, 999999, 1],
            "official:appeal-decide": [slug, 999999],
            "public-results": [slug],
            "public-results-json": [slug],
            "public-results-csv": [slug],
            "letter": ["bogus-token"],
            "letter-appeal": ["bogus-token"],
            "letter-appeal-attachment": ["bogus-token", 1],
            "publication:competition": [slug],
            "publication:publish": [slug],
            "review:competition": [slug],
            "review:pledge": [slug],
            "review:sheet": [slug, assignment.pk],
            "review:conflict": [slug, assignment.pk],
            "review:document": [slug, assignment.pk, document.pk],
            "review:autosave": [slug, assignment.pk],
        },
        "users": {
            "anonymous": None,
            "assigned": assigned.user,
            "not_assigned": not_assigned.user,
            "conflicted": conflicted.user,
            "official": user_factory(Role.OFFICIAL, "official-1"),
            "admin": admin,
        },
    }


def test_every_url_is_in_the_matrix():
    assert set(named_urls()) == set(MATRIX)


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client, world, name, visitor):
    user = world["users"][visitor]
    if user is not None:
        client.force_login(user)
    response = client.get(reverse(name, args=world["args"].get(name, [])))
    expected = MATRIX[name][VISITORS.index(visitor)]
    if user is not None:  # nothing seen signed in is kept by a browser or a proxy
        cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        assert {"no-store", "private"} <= cache_control, (name, visitor, response.get("Cache-Control"))
    if expected == LOGIN:
        assert response.status_code == 302 and response.url.startswith(reverse("login")), (name, visitor)
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), (
            name,
            visitor,
        )
    else:
        assert response.status_code == expected, (name, visitor, response.status_code)


# --- CSRF: a POST without a token is refused on every URL, before any view runs -----------------

REFUSED = (LOGIN, ADMIN_LOGIN, 403)
# Pages whose POST changes something (each must answer 403 without a token, nothing written).
POST_FORMS = {
    "login",
    "logout",
    "set-password",
    "set_language",
    "manage:import-proposals",
    "manage:import-confirm",
    "manage:proposal-documents",
    "manage:document-replace",
    "manage:document-delete",
    "manage:documents-bulk",
    "manage:documents-bulk-confirm",
    "manage:competition-load",
    "manage:competition-load-confirm",
    "manage:competition-delete",
    "manage:import-reviewers",
    "manage:import-scores",
    "manage:accounts",
    "manage:account-send-link",
    "manage:settings-competition",
    "manage:settings-category",
    "manage:settings-track",
    "manage:settings-stage",
    "manage:settings-criterion",
    "manage:settings-adjustment-item",
    "manage:settings-add-category",
    "manage:settings-add-track",
    "manage:settings-add-stage",
    "manage:settings-add-criterion",
    "manage:settings-add-adjustment-item",
    "manage:settings-remove-stage",
    "manage:settings-remove-criterion",
    "manage:settings-remove-adjustment-item",
    "manage:competition-new",
    "manage:panels",
    "manage:panel-members",
    "manage:panel-members-confirm",
    "manage:panel-form",
    "manage:stage-draw",
    "review:pledge",
    "review:conflict",
    "review:sheet",
    "review:autosave",
    "official:reopen-sheet",
    "official:record-challenge",
    "official:remind",
    "official:record-adjustment",
    "official:delete-adjustment",
    "official:draw",
    "official:letters-issue",
    "official:letter-issue",
    "official:letter-revoke",
    "official:appeal-add-member",
    "official:appeal-remove-member",
    "official:appeal-decide",
    "publication:publish",
    "letter-appeal",
}


def database_snapshot():
    from django.apps import apps

    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
    }


def test_every_post_form_is_in_the_matrix():
    assert set(MATRIX) >= POST_FORMS


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_post_without_csrf_token_is_refused(world, name, caplog):
    """Signed in as a visitor allowed to use the page (for a form: the one who may submit it)."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    visitor = next(v for v, status in zip(VISITORS, MATRIX[name], strict=True) if status not in REFUSED)
    if world["users"][visitor] is not None:
        client.force_login(world["users"][visitor])
    before = database_snapshot()
    with caplog.at_level("WARNING", logger="django.security.csrf"):
        response = client.post(
            reverse(name, args=world["args"].get(name, [])),
            {
                "reason": "사유",
                "points": "1",
                "next": "/",
                "language": "en",
                "username": "x",
                "password": "y",
            },
        )
    assert response.status_code == 403, (name, visitor, response.status_code)
    assert any("CSRF" in record.getMessage() for record in caplog.records), name
    assert database_snapshot() == before, name
