"""URL map: the admin and the API namespaces of the original (paths without trailing slash)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework_simplejwt.views import TokenRefreshView

from apis.community import urls as community
from apis.core import views as core_views
from apis.deal import urls as deal
from apis.downtime import urls as downtime
from apis.ess.tokens import ThrottledTokenObtainPairView
from apis.monitoring import urls as monitoring
from apis.scenario import urls as scenario
from apis.unit_data import urls as unit_data

staff = [
    path("client.js", core_views.client_js, {"role": "staff"}),
    path("community/", include(community.staff)),
    path("unitData/", include(unit_data.staff)),
    path("deal/", include(deal.staff)),
    path("downtime/", include(downtime.staff)),
    path("monitoring/", include(monitoring.staff)),
]
resident = [
    path("client.js", core_views.client_js, {"role": "resident"}),
    path("community/", include(community.resident)),
    path("unitData/", include(unit_data.resident)),
    path("deal/", include(deal.resident)),
    path("scenario/", include(scenario.resident)),
]
misc = [
    path("scenario/", include(scenario.misc)),
    path("policy/", include(community.misc)),
]

urlpatterns = [
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
