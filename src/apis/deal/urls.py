"""Paths under ``/api/staff/deal/`` and ``/api/resident/deal/`` (the same four endpoints for both roles)."""

from django.urls import path

from apis.deal.views import ENDPOINTS, resident_view, staff_view

staff: list = [path(name, staff_view(handler)) for name, handler in ENDPOINTS.items()]
resident: list = [path(name, resident_view(handler)) for name, handler in ENDPOINTS.items()]
