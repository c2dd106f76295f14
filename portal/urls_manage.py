from django.urls import path

from .views import manage

urlpatterns = [
    path("", manage.index, name="index"),
    path("competitions/<slug:slug>/import/proposals/", manage.import_proposals, name="import-proposals"),
    path("import/proposals/template.xlsx", manage.proposals_template, name="proposals-template"),
    path("imports/<uuid:upload_id>/", manage.import_preview, name="import-preview"),
    path("imports/<uuid:upload_id>/confirm/", manage.import_confirm, name="import-confirm"),
    path("imports/<uuid:upload_id>/result/", manage.import_result, name="import-result"),
    path("imports/<uuid:upload_id>/errors.xlsx", manage.import_errors, name="import-errors"),
    path("imports/progress/<uuid:progress_id>/", manage.import_progress, name="import-progress"),
]
