"""The ESS dataset API: paged JSON per component and streamed downloads (CSV or Parquet)."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from apis.core import throttle
from apis.ess.errors import EssError
from apis.ess.export import csv_chunks, gzipped, parquet_chunks
from apis.ess.paging import json_page
from apis.ess.params import AGGREGATES, INTERVALS, parse_selection, shown, single
from apis.ess.query import build
from apis.ess.sites import TABLES, fetch


class EssThrottle(UserRateThrottle):
    """Requests per user (``APIS_ESS_THROTTLE_RATE``) in fixed windows of the rate's period, counted in the
    database like failed logins, so the rate holds across every worker and process (DRF's own count lives
    in each worker's memory)."""

    scope = "ess"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None or (key := self.get_cache_key(request, view)) is None:
            return True
        hits, self.window_ends = throttle.count_event(key, self.duration)
        return hits <= self.num_requests

    def wait(self) -> float:
        """Seconds until the window that refused the request ends."""
        return max(0.0, (self.window_ends - timezone.now()).total_seconds())


def _query(name: str, description: str, **kwargs) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.QUERY, description=description, **kwargs)


SELECTION_PARAMETERS = [
    _query("fields", "comma-separated lower-case field names (default: every column of the site)"),
    _query("start-time", "ISO 8601, inclusive; without an offset in the site's time zone"),
    _query("end-time", "ISO 8601, exclusive; without an offset in the site's time zone"),
    _query("date", "one day YYYY-MM-DD in the site's time zone (instead of start-time/end-time)"),
    _query("interval", "resample in the database", enum=list(INTERVALS)),
    _query("agg", "aggregate of each resampled bucket (default avg)", enum=list(AGGREGATES)),
]
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="page number (from 1)"),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, OpenApiParameter.QUERY, description="rows per page (capped)"
    ),
    _query("cursor", "keyset paging: empty for the first page, then the next/previous links"),
]
ERRORS = {
    code: OpenApiResponse(description=text)
    for code, text in (
        (
            400,
            '{"code": "400", "exception type": ..., "message": ...}: bad site, type, field, time or id, '
            "or a limit reached (buckets of a resampled range, query time)",
        ),
        (401, "no or invalid credentials"),
        (404, "no data (download), or a page beyond the last"),
        (429, "too many requests"),
    )
}


class ComponentSchema(AutoSchema):
    """Operation ids named after the component: the racks of a bank and one rack share a view and a path
    prefix, from which drf-spectacular would derive one id for both."""

    def get_operation_id(self) -> str:
        table = self.view.table
        component = "rack" if self.path.endswith("{rack_id}/") else "racks" if table == "rack" else table
        return f"ess_{component}_data"


class ComponentDataView(APIView):
    """Paged operating data of one component (bank, racks of a bank, one rack, pcs, etc) of a site."""

    throttle_classes = [EssThrottle]
    schema = ComponentSchema()
    table = ""

    @extend_schema(
        parameters=SELECTION_PARAMETERS + PAGE_PARAMETERS, responses={200: OpenApiTypes.OBJECT, **ERRORS}
    )
    def get(self, request: Request, operating_site_id: str, **ids: str) -> Response:
        selection = parse_selection(operating_site_id, self.table, ids, request.query_params)
        return Response(json_page(request, selection))


FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
# Optional query parameters of a download that narrow it to one bank or rack (named as their columns).
DOWNLOAD_IDS = ("bank_id", "rack_id")


class DownloadView(APIView):
    """The rows of a component over a time range as a streamed attachment ``<type>.csv`` (or ``.parquet``).

    The check that the range has data runs under the statement timeout (for a resampled download it
    aggregates the whole range, as the stream will), so a download that cannot start in time is a 400
    before any byte is sent. The stream itself is not cut off: its time range is required, and the
    database produces rows only as fast as the client reads them."""

    throttle_classes = [EssThrottle]

    @extend_schema(
        parameters=[
            *SELECTION_PARAMETERS,
            _query("format", "file format (default csv)", enum=list(FORMATS)),
            *(
                _query(name, f"only the rows of this {name[:4]} (tables with that column)")
                for name in DOWNLOAD_IDS
            ),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request: Request, operating_site_id: str, data_type: str) -> StreamingHttpResponse:
        if data_type not in TABLES:
            raise EssError(
                f"data_type must be one of {', '.join(TABLES)}, not {shown(data_type)}", "Key Error"
            )
        query_params = request.query_params
        file_format = single(query_params, "format") or "csv"
        if file_format not in FORMATS:
            raise EssError(f"format must be csv or parquet, not {shown(file_format)}", "Value Error")
        ids = {name: raw for name in DOWNLOAD_IDS if (raw := single(query_params, name)) is not None}
        selection = parse_selection(
            operating_site_id, data_type, ids, query_params, time_required=True, paged=False
        )
        query = build(selection)
        if not fetch(selection.site, *query.exists()):
            raise EssError("no data in the requested range", "Index Error", 404)
        chunks = (csv_chunks if file_format == "csv" else parquet_chunks)(selection, query)
        compress = file_format == "csv" and "gzip" in request.headers.get("Accept-Encoding", "")
        response = StreamingHttpResponse(
            gzipped(chunks) if compress else chunks, content_type=FORMATS[file_format]
        )
        response["Content-Disposition"] = f'attachment; filename="{data_type}.{file_format}"'
        response["Vary"] = "Accept-Encoding"
        if compress:
            response["Content-Encoding"] = "gzip"
        response["X-Accel-Buffering"] = "no"  # proxies pass the stream on instead of buffering it
        return response
