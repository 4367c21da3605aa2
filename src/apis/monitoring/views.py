"""Staff monitoring API (reference §5.6): failures of a cluster and per-cluster job activation."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apis.community.access import staff_cluster
from apis.core.decorators import api, mutating, overlapping, param, query_period
from apis.core.errors import InvalidRequest
from apis.core.http import json_response, streamed_json_array, text
from apis.core.openapi import Param, array_of, describe, json_answer, period, ref, text_answer
from apis.monitoring.lifecycle import close_deactivated
from apis.monitoring.models import Failure, JobSetting

FAILURE_FIELDS = (
    "id",
    "type",
    "community_id",
    "cluster_id",
    "program_id",
    "unit_id",
    "detected",
    "closed",
    "description",
    "close_reason",
)


def _failures(community_id: str, cluster_id: str):
    return Failure.objects.filter(community_id=community_id, cluster_id=cluster_id).order_by("detected", "pk")


@api("GET")
@staff_cluster
@describe(answer=json_answer(array_of(ref("Failure"))))
def failure_open_list(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """The open failures of the cluster, oldest first."""
    rows = _failures(community_id, cluster_id).filter(closed__isnull=True).values(*FAILURE_FIELDS)
    return json_response(list(rows))


@api("GET")
@staff_cluster
@describe(*period(), answer=json_answer(array_of(ref("Failure")), "failures oldest first (streamed)"))
def failure_list(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Failures overlapping ``[datetimeFrom, datetimeTo)`` (each optional), streamed oldest first."""
    start, end = query_period(request)
    rows = _failures(community_id, cluster_id)
    rows = rows.filter(overlapping("detected", "closed", start, end))
    return streamed_json_array(rows.values(*FAILURE_FIELDS).iterator(chunk_size=2000))


@api("GET")
@staff_cluster
@describe(answer=json_answer(array_of(ref("JobState"))))
def job_list(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """The six job types in their fixed order with their activation (no setting: inactive)."""
    active = dict(
        JobSetting.objects.filter(community_id=community_id, cluster_id=cluster_id).values_list(
            "type", "is_active"
        )
    )
    types = settings.MONITORING_JOB_TYPES
    return json_response([{"type": name, "isActive": active.get(name, False)} for name in types])


JOB_TYPE = Param(
    "type",
    {"type": "string", "enum": list(settings.MONITORING_JOB_TYPES)},
    True,
    "a job type",
    errors=("no param : type", "unknown type : <value>"),
)


def _job_type(request: HttpRequest) -> str:
    """The ``type`` parameter: one of the monitoring job types, else :class:`InvalidRequest`."""
    job_type = param(request, "type")
    if not job_type:
        raise InvalidRequest("no param : type")
    if job_type not in settings.MONITORING_JOB_TYPES:
        raise InvalidRequest(f"unknown type : {job_type}")
    return job_type


@mutating
@staff_cluster
@describe(JOB_TYPE, answer=text_answer("done", "ok"))
def job_activate(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Activate a job type for the cluster."""
    job_type = _job_type(request)
    JobSetting.objects.update_or_create(
        community_id=community_id, cluster_id=cluster_id, type=job_type, defaults={"is_active": True}
    )
    return text("ok")


@mutating
@staff_cluster
@describe(JOB_TYPE, answer=text_answer("done", "ok"))
def job_deactivate(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Deactivate a job type for the cluster and close its open failures (reason ``job deactivated``)."""
    job_type = _job_type(request)
    JobSetting.objects.filter(community_id=community_id, cluster_id=cluster_id, type=job_type).update(
        is_active=False
    )
    close_deactivated(job_type, community_id, cluster_id, timezone.now())
    return text("ok")
