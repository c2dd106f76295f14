from django.urls import path

from .views import official

urlpatterns = [
    path("", official.index, name="index"),
    path("<slug:slug>/stages/<slug:stage>/", official.progress, name="progress"),
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
]
