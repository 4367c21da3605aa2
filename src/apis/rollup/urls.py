"""Paths of the rollups, mounted next to the unit-data ones under ``/api/staff/unitData/`` and
``/api/resident/unitData/``."""

from django.urls import path

from apis.rollup import views

staff: list = [
    path("aggregate", views.staff_aggregate),
]
resident: list = [
    path("aggregate", views.resident_aggregate),
]
