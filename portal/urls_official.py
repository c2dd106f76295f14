from django.urls import path

from .views import official

urlpatterns = [
    path("", official.index, name="index"),
]
