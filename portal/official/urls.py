from django.urls import path

from ..documents import views as documents
from . import analysis_views
from . import views as official

urlpatterns = [
    path("", official.index, name="index"),
    path("<slug:slug>/ranking/", official.ranking, name="ranking"),
    path("<slug:slug>/analysis/", analysis_views.analysis_page, name="analysis"),
    path("<slug:slug>/ranking.csv", official.ranking_csv, name="ranking-csv"),
    path("<slug:slug>/results.xlsx", official.ranking_xlsx, name="ranking-xlsx"),
    path("<slug:slug>/reviewer-totals.csv", official.reviewer_totals_csv, name="reviewer-totals-csv"),
    path("<slug:slug>/draw/", official.record_draw, name="draw"),
    path("<slug:slug>/stages/<slug:stage>/", official.progress, name="progress"),
    path(
        "<slug:slug>/proposals/<int:pk>/documents/<int:document_id>/",
        documents.official_document,
        name="document",
    ),
    path("<slug:slug>/stages/<slug:stage>/remind/", official.send_reminders, name="remind"),
    path("<slug:slug>/stages/<slug:stage>/proposals/<int:pk>/", official.proposal, name="proposal"),
    path(
        "<slug:slug>/stages/<slug:stage>/proposals/<int:pk>/reopen/",
        official.reopen_sheet,
        name="reopen-sheet",
    ),
    path(
        "<slug:slug>/stages/<slug:stage>/proposals/<int:pk>/challenge/",
        official.record_challenge,
        name="record-challenge",
    ),
    path(
        "<slug:slug>/stages/<slug:stage>/proposals/<int:pk>/scores/",
        official.proposal_scores,
        name="proposal-scores",
    ),
    path(
        "<slug:slug>/stages/<slug:stage>/proposals/<int:pk>/scores/adjustments/",
        official.record_adjustment,
        name="record-adjustment",
    ),
    path(
        "<slug:slug>/stages/<slug:stage>/proposals/<int:pk>/scores/adjustments/<int:adjustment_id>/delete/",
        official.delete_adjustment,
        name="delete-adjustment",
    ),
]
