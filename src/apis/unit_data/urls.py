"""Paths under ``/api/staff/unitData/`` and ``/api/resident/unitData/``."""

from django.urls import path

from apis.unit_data import history, views

staff: list = [
    path("unitIdList", views.unit_id_list),
    path("latestSet", views.staff_latest_set),
    path("history", history.unit_history),
]
resident: list = [
    path("latestSet", views.resident_latest_set),
]
