from django.urls import include, path

from .views import home, manage, official, public, reviewer

manage_patterns = [
    path("", manage.index, name="index"),
    path(
        "competitions/<slug:slug>/import/proposals/",
        manage.import_proposals,
        name="import-proposals",
    ),
    path("import/proposals/template.xlsx", manage.proposals_template, name="proposals-template"),
    path("imports/<uuid:upload_id>/", manage.import_preview, name="import-preview"),
    path("imports/<uuid:upload_id>/confirm/", manage.import_confirm, name="import-confirm"),
    path("imports/<uuid:upload_id>/result/", manage.import_result, name="import-result"),
    path("imports/<uuid:upload_id>/errors.xlsx", manage.import_errors, name="import-errors"),
]

official_patterns = [
    path("", official.index, name="index"),
]

review_patterns = [
    path("", reviewer.index, name="index"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("public/", public.landing, name="public-landing"),
    path("manage/", include((manage_patterns, "manage"))),
    path("official/", include((official_patterns, "official"))),
    path("review/", include((review_patterns, "review"))),
]
