"""The staff and resident web pages."""

urlpatterns: list = []
