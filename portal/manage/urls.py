from django.urls import path

from ..documents import views as documents
from . import accounts, competition_settings, imports, setup
from . import panels as panel_pages
from . import views as manage

urlpatterns = [
    path("", manage.index, name="index"),
    path("competitions/<slug:slug>/import/proposals/", manage.import_proposals, name="import-proposals"),
    path("import/proposals/template.xlsx", manage.proposals_template, name="proposals-template"),
    path("imports/<uuid:upload_id>/", manage.import_preview, name="import-preview"),
    path("imports/<uuid:upload_id>/confirm/", manage.import_confirm, name="import-confirm"),
    path("imports/<uuid:upload_id>/result/", manage.import_result, name="import-result"),
    path("imports/<uuid:upload_id>/errors.xlsx", manage.import_errors, name="import-errors"),
    # Proposal documents (사업계획서, attachments): per proposal, and a zip of many.
    path("competitions/<slug:slug>/documents/", documents.documents, name="documents"),
    path(
        "competitions/<slug:slug>/proposals/<int:pk>/documents/",
        documents.proposal_documents,
        name="proposal-documents",
    ),
    path("documents/<int:pk>/replace/", documents.document_replace, name="document-replace"),
    path("documents/<int:pk>/delete/", documents.document_delete, name="document-delete"),
    path("competitions/<slug:slug>/documents/zip/", documents.documents_bulk, name="documents-bulk"),
    path("documents/zip/<uuid:upload_id>/", documents.documents_bulk_preview, name="documents-bulk-preview"),
    path(
        "documents/zip/<uuid:upload_id>/confirm/",
        documents.documents_bulk_confirm,
        name="documents-bulk-confirm",
    ),
    path("imports/progress/<uuid:progress_id>/", manage.import_progress, name="import-progress"),
    # Reviewers and scores of a stage: the same upload → preview → confirm pages as applicants.
    path("competitions/<slug:slug>/import/reviewers/", imports.import_reviewers, name="import-reviewers"),
    path("import/reviewers/template.xlsx", imports.reviewers_template, name="reviewers-template"),
    path("competitions/<slug:slug>/import/scores/", imports.import_scores, name="import-scores"),
    path(
        "competitions/<slug:slug>/import/scores/<slug:code>/template.xlsx",
        imports.scores_template,
        name="scores-template",
    ),
    # The competition file (load_competition on the web), and deleting a trial run.
    path("competitions/load/", setup.competition_load, name="competition-load"),
    path(
        "competitions/load/<uuid:upload_id>/", setup.competition_load_preview, name="competition-load-preview"
    ),
    path(
        "competitions/load/<uuid:upload_id>/confirm/",
        setup.competition_load_confirm,
        name="competition-load-confirm",
    ),
    path(
        "competitions/load/<uuid:upload_id>/result/",
        setup.competition_load_result,
        name="competition-load-result",
    ),
    path("competitions/<slug:slug>/delete/", setup.competition_delete, name="competition-delete"),
    # A competition's settings in forms, each checked and previewed as a competition file.
    path("competitions/<slug:slug>/settings/", competition_settings.settings_index, name="settings"),
    path(
        "competitions/<slug:slug>/settings/competition.toml",
        competition_settings.competition_file,
        name="competition-file",
    ),
    path(
        "competitions/<slug:slug>/settings/rules/",
        competition_settings.edit_entry,
        {"kind": "competition"},
        name="settings-competition",
    ),
    path(
        "competitions/<slug:slug>/settings/categories/<slug:code>/",
        competition_settings.edit_entry,
        {"kind": "category"},
        name="settings-category",
    ),
    path(
        "competitions/<slug:slug>/settings/tracks/<slug:code>/",
        competition_settings.edit_entry,
        {"kind": "track"},
        name="settings-track",
    ),
    path(
        "competitions/<slug:slug>/settings/stages/<slug:code>/",
        competition_settings.edit_entry,
        {"kind": "stage"},
        name="settings-stage",
    ),
    path(
        "competitions/<slug:slug>/settings/stages/<slug:code>/criteria/<int:index>/",
        competition_settings.edit_entry,
        {"kind": "criterion"},
        name="settings-criterion",
    ),
    path(
        "competitions/<slug:slug>/settings/adjustment-items/<slug:code>/",
        competition_settings.edit_entry,
        {"kind": "adjustment_item"},
        name="settings-adjustment-item",
    ),
    # New entries, appended to their list in the file; removals (the loader keeps categories and
    # tracks, so those are not removed here). Both checked and previewed as any change.
    path(
        "competitions/<slug:slug>/settings/add/category/",
        competition_settings.add_entry,
        {"kind": "category"},
        name="settings-add-category",
    ),
    path(
        "competitions/<slug:slug>/settings/categories/<slug:code>/add-track/",
        competition_settings.add_entry,
        {"kind": "track"},
        name="settings-add-track",
    ),
    path(
        "competitions/<slug:slug>/settings/add/stage/",
        competition_settings.add_entry,
        {"kind": "stage"},
        name="settings-add-stage",
    ),
    path(
        "competitions/<slug:slug>/settings/stages/<slug:code>/add-criterion/",
        competition_settings.add_entry,
        {"kind": "criterion"},
        name="settings-add-criterion",
    ),
    path(
        "competitions/<slug:slug>/settings/add/adjustment-item/",
        competition_settings.add_entry,
        {"kind": "adjustment_item"},
        name="settings-add-adjustment-item",
    ),
    path(
        "competitions/<slug:slug>/settings/stages/<slug:code>/remove/",
        competition_settings.remove_entry,
        {"kind": "stage"},
        name="settings-remove-stage",
    ),
    path(
        "competitions/<slug:slug>/settings/stages/<slug:code>/criteria/<int:index>/remove/",
        competition_settings.remove_entry,
        {"kind": "criterion"},
        name="settings-remove-criterion",
    ),
    path(
        "competitions/<slug:slug>/settings/adjustment-items/<slug:code>/remove/",
        competition_settings.remove_entry,
        {"kind": "adjustment_item"},
        name="settings-remove-adjustment-item",
    ),
    path("competitions/new/", competition_settings.new_competition, name="competition-new"),
    # Accounts of officials and reviewers, each with an e-mailed link to set the password.
    path("accounts/", accounts.accounts, name="accounts"),
    path("accounts/<int:pk>/send-link/", accounts.send_link, name="account-send-link"),
    # Panels (평가위원회): list and create, members from a spreadsheet, forming, the draw.
    path("competitions/<slug:slug>/panels/", panel_pages.panels, name="panels"),
    path("panels/<int:pk>/members/", panel_pages.panel_members, name="panel-members"),
    path("panels/<int:pk>/members/confirm/", panel_pages.panel_members_confirm, name="panel-members-confirm"),
    path("panels/<int:pk>/form/", panel_pages.panel_form, name="panel-form"),
    path("competitions/<slug:slug>/stages/<slug:code>/draw/", panel_pages.stage_draw, name="stage-draw"),
    path("competitions/<slug:slug>/stages/<slug:code>/draws/", panel_pages.stage_draws, name="stage-draws"),
]
