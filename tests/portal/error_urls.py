"""The site's URLconf plus a page that fails, for the 500 page's tests (the error handlers are
the site's: Django looks them up on the root URLconf)."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def broken(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("broken/", broken), *urlpatterns]
