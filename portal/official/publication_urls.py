"""Officials' publication pages (SPEC §2), under official/publications/."""

from django.urls import path

from . import publication

urlpatterns = [
    path("", publication.index, name="index"),
    path("<slug:slug>/", publication.competition, name="competition"),
    path("<slug:slug>/publish/", publication.publish_view, name="publish"),
]
