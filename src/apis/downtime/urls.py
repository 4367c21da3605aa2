"""Paths under ``/api/staff/downtime/``."""

from django.urls import path

from apis.downtime import views

staff: list = [
    path("unitIdList", views.unit_id_list),
    path("list", views.downtime_list),
    path("availability", views.availability),
]
