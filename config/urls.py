from django.contrib import admin
from django.urls import include, path

from accounts.forms import AdminLoginForm

admin.site.login_form = AdminLoginForm  # the same sign-in throttling as the site's own login

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("portal.urls")),
]
