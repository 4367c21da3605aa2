"""The web pages: ``/`` (login), ``/<role>/<page>``, the selection form, ``/datasets`` (ESS data), and the
original's page URLs ``/static/ui_example/<role>/<page>.html`` sent on to them."""

from django.urls import path

from apis.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("datasets", views.datasets, name="datasets"),
    path("<str:role>/select", views.select, name="select"),
    path("<str:role>/<str:name>", views.page, name="page"),
    path("static/ui_example/<str:role>/<str:file>", views.original_page, name="original-page"),
]
