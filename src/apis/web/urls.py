"""The staff and resident web pages: ``/`` (login), ``/<role>/<page>`` and the selection form."""

from django.urls import path

from apis.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("<str:role>/select", views.select, name="select"),
    path("<str:role>/<str:name>", views.page, name="page"),
]
