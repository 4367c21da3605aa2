from django.urls import path

from apis.core import views

urlpatterns = [
    path("csrftoken", views.csrftoken),
    path("login", views.login),
    path("logout", views.logout),
    path("session", views.session),
]
