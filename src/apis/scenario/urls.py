from django.urls import path

from apis.scenario import views

resident = [
    path("availableList", views.available_list),
    path("current", views.current),
    path("choose", views.choose),
]
misc = [
    path("currentData", views.current_data),
    path("update", views.update),
]
