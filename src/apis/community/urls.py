from django.urls import path

from apis.community import views

staff = [path("outline", views.staff_outline_view)]
resident = [path("outline", views.resident_outline_view)]
misc = [path("currentData", views.policy_current_data)]
