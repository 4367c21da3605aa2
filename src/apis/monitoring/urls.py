from django.urls import path  # noqa: F401

staff: list = []
