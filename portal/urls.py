"""Pages by audience: each audience's URLs live in its own module (portal/urls_*.py)."""

from django.urls import include, path

from .public import letters
from .public import views as public
from .views import home

urlpatterns = [
    path("", home.home, name="home"),
    path("public/", public.landing, name="public-landing"),
    path("public/results/<slug:slug>/", public.results, name="public-results"),
    path("public/results/<slug:slug>/results.json", public.results_json, name="public-results-json"),
    path("public/results/<slug:slug>/results.csv", public.results_csv, name="public-results-csv"),
    path("privacy/", public.privacy, name="privacy"),
    path("letters/<str:token>/", letters.letter, name="letter"),
    path("letters/<str:token>/appeal/", letters.appeal, name="letter-appeal"),
    path(
        "letters/<str:token>/appeals/<int:pk>/attachment/",
        letters.appeal_attachment,
        name="letter-appeal-attachment",
    ),
    path("manage/", include(("portal.manage.urls", "manage"))),
    path("official/", include(("portal.official.urls", "official"))),
    path("official/publications/", include(("portal.official.publication_urls", "publication"))),
    path("review/", include(("portal.reviewer.urls", "review"))),
]
