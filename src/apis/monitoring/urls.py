"""Paths under ``/api/staff/monitoring/``."""

from django.urls import path

from apis.monitoring import views

staff: list = [
    path("failure/openList", views.failure_open_list),
    path("failure/list", views.failure_list),
    path("job/list", views.job_list),
    path("job/activate", views.job_activate),
    path("job/deactivate", views.job_deactivate),
]
