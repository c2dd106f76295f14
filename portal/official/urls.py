from django.urls import path

from ..documents import views as documents
from . import analysis_views, appeals_views, letters_views
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
    # Result letters and appeals (issue 13)
    path("<slug:slug>/letters/", letters_views.letters, name="letters"),
    path("<slug:slug>/letters.pdf", letters_views.letters_pdf, name="letters-pdf"),
    path("<slug:slug>/letters/issue/", letters_views.issue, name="letters-issue"),
    path("<slug:slug>/letters/<int:pk>/", letters_views.print_letter, name="letter-print"),
    path("<slug:slug>/letters/<int:pk>/issue/", letters_views.issue, name="letter-issue"),
    path("<slug:slug>/letters/<int:pk>/revoke/", letters_views.revoke, name="letter-revoke"),
    path("<slug:slug>/appeals/", appeals_views.appeals, name="appeals"),
    path("<slug:slug>/appeals/<int:pk>/", appeals_views.appeal, name="appeal"),
    path("<slug:slug>/appeals/<int:pk>/attachment/", appeals_views.attachment, name="appeal-attachment"),
    path("<slug:slug>/appeals/<int:pk>/committee/", appeals_views.add_member, name="appeal-add-member"),
    path(
        "<slug:slug>/appeals/<int:pk>/committee/<int:member_id>/remove/",
        appeals_views.remove_member,
        name="appeal-remove-member",
    ),
    path("<slug:slug>/appeals/<int:pk>/decision/", appeals_views.decide, name="appeal-decide"),
]
