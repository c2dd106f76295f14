from django.contrib import admin
from django.urls import include, path

from accounts.forms import AdminLoginForm

admin.site.login_form = AdminLoginForm  # the same sign-in throttling as the site's own login
# Error pages in Korean in the site's layout (portal/views/errors.py); CSRF: settings.
handler400 = "portal.views.errors.bad_request"
handler403 = "portal.views.errors.permission_denied"
handler404 = "portal.views.errors.page_not_found"
handler500 = "portal.views.errors.server_error"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("portal.urls")),
]
