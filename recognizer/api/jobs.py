"""The REST API's jobs (staff): queue a training, a rescoring or an export, follow it,
cancel it, download what it made. Workers (`manage.py db_worker`) carry them out."""

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from recognizer.api.history import STAFF_AUTHENTICATION
from recognizer.api.job_serializers import JobCreateSerializer, JobFilterSerializer, JobSerializer
from recognizer.api.pagination import HistoryPagination
from recognizer.api.schema import error_responses
from recognizer.api.serializers import ErrorSerializer
from recognizer.jobs.runner import job_create
from recognizer.jobs.selectors import job_file
from recognizer.jobs.services import job_cancel
from recognizer.models import Job
from recognizer.storage import drawing_storage

VIA = "API"
EXAMPLES = [
    OpenApiExample(
        "Train a challenger",
        value={"kind": "train", "datasets": ["digits", "history"], "grid": 8},
        request_only=True,
    ),
    OpenApiExample(
        "Rescore the labelled history", value={"kind": "rescore", "versions": ["3f1c2a9b7d40"]}
    ),
    OpenApiExample("Export the labelled 7s", value={"kind": "export", "filters": {"label": 7}}),
]
JOB_EXAMPLE = OpenApiExample(
    "A training job running",
    value={
        "id": 12,
        "kind": "train",
        "status": "running",
        "progress": 0.31,
        "stage": "preprocessing digits 12,000 of 30,000",
        "created_at": "2026-12-04T14:02:11Z",
        "started_at": "2026-12-04T14:02:12Z",
        "finished_at": None,
        "parameters": {"datasets": ["digits", "history"], "grid": 8, "held_out": 0.1},
        "result": {},
        "error": "",
        "requested_by": "reviewer",
        "attempts": 1,
        "log": ["14:02:12 run 1 started", "14:02:14 preprocessing digits"],
    },
    response_only=True,
)
CONFLICT = OpenApiResponse(ErrorSerializer, description="The job has ended (`job_ended`).")


@extend_schema_view(
    get=extend_schema(
        operation_id="jobs_list",
        tags=["jobs"],
        summary="List the jobs, newest first (staff)",
        parameters=[JobFilterSerializer],
        responses={200: JobSerializer(many=True), **error_responses(400, 401, 403, 503)},
    ),
    post=extend_schema(
        operation_id="jobs_create",
        tags=["jobs"],
        summary="Queue a job (staff)",
        description="A training (`train`: its model becomes the challenger), a rescoring "
        "(`rescore`) or an export (`export`: a ZIP of labelled drawings). Answers 202 with "
        "the job and its `Location`; bad parameters are a 400 naming the field, and "
        "nothing is queued.",
        request=JobCreateSerializer,
        responses={202: JobSerializer, **error_responses(400, 401, 403, 503)},
        examples=[*EXAMPLES, JOB_EXAMPLE],
    ),
)
class JobListView(generics.ListCreateAPIView):
    """The jobs, newest first; a new one is queued for a worker."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsAdminUser]
    serializer_class = JobSerializer
    pagination_class = HistoryPagination

    def get_queryset(self):
        filters = JobFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return (
            Job.objects.filter(**filters.validated_data)
            .select_related("requested_by")
            .order_by("-created_at", "-id")
        )

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        asked = JobCreateSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        job = job_create(
            kind=asked.validated_data["kind"],
            parameters=asked.parameters(),
            via=VIA,
            requested_by=request.user,
        )
        return Response(
            JobSerializer(job, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api:job-detail", args=[job.pk])},
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="jobs_retrieve",
        tags=["jobs"],
        summary="Follow a job (staff)",
        responses={200: JobSerializer, **error_responses(401, 403, 404, 503)},
        examples=[JOB_EXAMPLE],
    )
)
class JobDetailView(generics.RetrieveAPIView):
    """One job: its progress, and in the end its result or why it failed."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsAdminUser]
    serializer_class = JobSerializer
    queryset = Job.objects.select_related("requested_by")


class JobCancelView(generics.GenericAPIView):
    """Cancel a job: a queued one at once, a running one at its next step."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsAdminUser]
    serializer_class = JobSerializer
    queryset = Job.objects.all()

    @extend_schema(
        operation_id="jobs_cancel",
        tags=["jobs"],
        summary="Cancel a job (staff)",
        description="A queued job is cancelled at once; a running one stops at its next "
        "progress step (its status says `cancelled` then). 409 for a job that has ended.",
        request=None,
        responses={200: JobSerializer, 409: CONFLICT, **error_responses(401, 403, 404, 503)},
    )
    def post(self, request: Request, pk: int) -> Response:
        job = job_cancel(job_id=self.get_object().pk, by=request.user)
        return Response(JobSerializer(job, context=self.get_serializer_context()).data)


class JobFileView(generics.GenericAPIView):
    """The file an export job wrote (a ZIP archive of labelled drawings)."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsAdminUser]
    queryset = Job.objects.all()

    @extend_schema(
        operation_id="jobs_file",
        tags=["jobs"],
        summary="Download what an export job wrote (staff)",
        responses={
            (200, "application/zip"): OpenApiResponse(description="The ZIP archive."),
            **error_responses(401, 403, 404, 503),
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        name = job_file(job=self.get_object())
        if name is None:
            raise NotFound("This job has no file to download.")
        return FileResponse(
            drawing_storage().open(name, "rb"), as_attachment=True, filename=name.rsplit("/", 1)[-1]
        )
