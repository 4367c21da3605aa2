"""The ESS dataset distribution API under ``/api/ess/``."""

urlpatterns: list = []
