from django.urls import path

from ..documents import views as documents
from . import views as reviewer

urlpatterns = [
    path("", reviewer.index, name="index"),
    path("<slug:slug>/", reviewer.competition, name="competition"),
    path("<slug:slug>/pledge/", reviewer.pledge, name="pledge"),
    path("<slug:slug>/<int:assignment_id>/", reviewer.sheet, name="sheet"),
    path("<slug:slug>/<int:assignment_id>/autosave/", reviewer.autosave, name="autosave"),
    path("<slug:slug>/<int:assignment_id>/conflict/", reviewer.conflict, name="conflict"),
    path(
        "<slug:slug>/<int:assignment_id>/documents/<int:document_id>/",
        documents.review_document,
        name="document",
    ),
]
