"""The web pages: ``/`` (login), ``/<role>/<page>``, the selection form and ``/datasets`` (ESS data)."""

from django.urls import path

from apis.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("datasets", views.datasets, name="datasets"),
    path("<str:role>/select", views.select, name="select"),
    path("<str:role>/<str:name>", views.page, name="page"),
]
