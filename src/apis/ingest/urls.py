"""Ingest endpoints under ``/api/ccc/``, with the token in the header or in the path, and the staff list of
quarantined items under ``/api/staff/ingest/``."""

from django.urls import path

from apis.ingest import staff as staff_views
from apis.ingest import views

urlpatterns = [
    path("unitData", views.unit_data),
    path("deal", views.deal),
    path("t/<str:token>/unitData", views.unit_data),
    path("t/<str:token>/deal", views.deal),
]
staff = [path("rejected", staff_views.rejected_items)]
