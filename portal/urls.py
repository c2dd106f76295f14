"""Pages by audience: each audience's URLs live in its own module (portal/urls_*.py)."""

from django.urls import include, path

from .views import home, public

urlpatterns = [
    path("", home.home, name="home"),
    path("public/", public.landing, name="public-landing"),
    path("public/results/<slug:slug>/", public.results, name="public-results"),
    path("privacy/", public.privacy, name="privacy"),
    path("manage/", include(("portal.urls_manage", "manage"))),
    path("official/", include(("portal.urls_official", "official"))),
    path("official/publications/", include(("portal.urls_publication", "publication"))),
    path("review/", include(("portal.urls_review", "review"))),
]
