"""The ESS dataset distribution API under ``/api/ess/`` (paths of the specification)."""

from django.urls import path

from apis.ess.catalog import OperatingSitesView
from apis.ess.views import ComponentDataView, DownloadView

SITE = "operating-sites/<str:operating_site_id>/"

urlpatterns = [
    path("operating-sites/", OperatingSitesView.as_view(), name="ess-operating-sites"),
    path(SITE + "banks/<str:bank_id>/", ComponentDataView.as_view(table="bank"), name="ess-bank-list"),
    path(SITE + "banks/<str:bank_id>/racks/", ComponentDataView.as_view(table="rack"), name="ess-rack-list"),
    path(
        SITE + "banks/<str:bank_id>/racks/<str:rack_id>/",
        ComponentDataView.as_view(table="rack"),
        name="ess-rack-detail-list",
    ),
    path(SITE + "pcs/", ComponentDataView.as_view(table="pcs"), name="ess-pcs-list"),
    path(SITE + "etc/", ComponentDataView.as_view(table="etc"), name="ess-etc-list"),
    path("download/" + SITE + "<str:data_type>/", DownloadView.as_view(), name="ess-download"),
]
