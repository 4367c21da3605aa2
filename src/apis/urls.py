"""URL map: the admin and the API namespaces of the original (paths without trailing slash), the pages, all
mounted under ``APIS_URL_PREFIX`` when one is set (``/sc/api/…``, ``/sc/admin/``, …)."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, reverse_lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework_simplejwt.views import TokenRefreshView

from apis.community import urls as community
from apis.core import admin as core_admin
from apis.core import views as core_views
from apis.deal import urls as deal
from apis.downtime import urls as downtime
from apis.ess.tokens import ThrottledTokenObtainPairView
from apis.ingest import urls as ingest
from apis.monitoring import urls as monitoring
from apis.rollup import urls as rollup
from apis.scenario import urls as scenario
from apis.unit_data import urls as unit_data

staff = [
    path("client.js", core_views.client_js, {"role": "staff"}, name="client-js"),
    path("community/", include(community.staff)),
    path("unitData/", include(unit_data.staff)),
    path("unitData/", include(rollup.staff)),
    path("deal/", include(deal.staff)),
    path("downtime/", include(downtime.staff)),
    path("monitoring/", include(monitoring.staff)),
    path("ingest/", include(ingest.staff)),
]
resident = [
    path("client.js", core_views.client_js, {"role": "resident"}, name="client-js"),
    path("community/", include(community.resident)),
    path("unitData/", include(unit_data.resident)),
    path("unitData/", include(rollup.resident)),
    path("deal/", include(deal.resident)),
    path("scenario/", include(scenario.resident)),
]
misc = [
    path("scenario/", include(scenario.misc)),
    path("policy/", include(community.misc)),
]

site = [
    path("admin/login/", core_admin.login),  # the throttled admin login, before the admin's own
    path("admin/", admin.site.urls),
    path("api/core/", include("apis.core.urls")),
    path("api/staff/", include(staff)),
    path("api/resident/", include(resident)),
    path("api/misc/", include(misc)),
    path("api/ccc/", include("apis.ingest.urls")),
    path("api/ess/", include("apis.ess.urls")),
    path("api/token/", ThrottledTokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("api/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("apis.web.urls")),
]


def mounted(prefix: str, patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """``patterns`` at the root, or with a ``prefix`` (``/sc``) under ``/sc/`` only, ``/sc`` itself sent on
    to ``/sc/``."""
    if not prefix:
        return patterns
    return [
        path(f"{prefix[1:]}/", include(patterns)),
        path(prefix[1:], RedirectView.as_view(url=f"{prefix}/")),
    ]


urlpatterns = mounted(settings.URL_PREFIX, site)
admin.site.site_url = reverse_lazy("web:home")  # the admin's "view site" link, under the prefix

# The answers Django gives itself (an unparsable body, an unknown path, …) in the API's shapes, not as HTML.
handler400 = "apis.core.errorpages.bad_request"
handler403 = "apis.core.errorpages.permission_denied"
handler404 = "apis.core.errorpages.not_found"
handler500 = "apis.core.errorpages.server_error"
