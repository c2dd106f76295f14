from django.urls import path

from .views import reviewer

urlpatterns = [
    path("", reviewer.index, name="index"),
]
