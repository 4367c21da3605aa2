from django.urls import path  # noqa: F401

resident: list = []
misc: list = []
