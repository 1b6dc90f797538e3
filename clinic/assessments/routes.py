import uuid

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.assessments import service
from clinic.assessments.schemas import (
    AssessmentCreateSchema,
    AssessmentPageSchema,
    AssessmentSchema,
    AssessmentUpdateSchema,
    MetricListSchema,
    ProgressQuerySchema,
    ProgressSchema,
)
from clinic.core.access import access
from clinic.core.etag import etag_header
from clinic.core.pagination import Page, PageQuerySchema, link_header
from clinic.core.principal import STAFF_ROLES, current_principal

blp = Blueprint("assessments", __name__, url_prefix="/api/v1", description="Assessments")

READ = "clinical:read"
WRITE = "clinical:write"


def _one(assessment, status=None):
    headers = etag_header(assessment.version)
    body = service.view_one(assessment)
    if status == 201:
        headers["Location"] = url_for("assessments.AssessmentItem", assessment_id=assessment.id)
        return body, 201, headers
    return body, headers


@blp.route("/episodes/<uuid:episode_id>/assessments")
class EpisodeAssessments(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="assessment")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, AssessmentPageSchema)
    def get(self, query, episode_id: uuid.UUID):
        """List an episode's assessments with their findings, oldest first"""
        page, finalised = service.list_assessments(episode_id, query["cursor"], query["limit"])
        items = [service.view(a, finalised) for a in page.items]
        return Page(items, page.next_cursor), link_header(page.next_cursor)

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="assessment")
    @blp.arguments(AssessmentCreateSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, data, episode_id: uuid.UUID):
        """Record an assessment as a draft (an amendment names the one it corrects)"""
        return _one(service.create_assessment(current_principal(), episode_id, data), 201)


@blp.route("/assessments/<uuid:assessment_id>")
class AssessmentItem(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="assessment")
    @blp.response(200, AssessmentSchema)
    def get(self, assessment_id: uuid.UUID):
        """Read an assessment with its derived findings"""
        return _one(service.read_assessment(assessment_id))

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="assessment")
    @blp.arguments(AssessmentUpdateSchema)
    @blp.response(200, AssessmentSchema)
    def patch(self, changes, assessment_id: uuid.UUID):
        """Update a draft (needs If-Match); a part sent replaces it, null removes it"""
        return _one(service.update_assessment(assessment_id, changes))


@blp.route("/assessments/<uuid:assessment_id>/finalize")
class AssessmentFinalize(MethodView):
    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="assessment")
    @blp.response(200, AssessmentSchema)
    def post(self, assessment_id: uuid.UUID):
        """Finalise a draft: from now on it never changes (If-Match optional)"""
        assessment = service.finalize_assessment(
            current_principal(), assessment_id, if_match="If-Match" in request.headers
        )
        return _one(assessment)


@blp.route("/episodes/<uuid:episode_id>/progress")
class EpisodeProgress(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="assessment")
    @blp.arguments(ProgressQuerySchema, location="query")
    @blp.response(200, ProgressSchema)
    def get(self, query, episode_id: uuid.UUID):
        """A metric's values across the episode's finalised assessments"""
        return service.progress(episode_id, query["metric"], query.get("side"))


@blp.route("/metrics")
class Metrics(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,))
    @blp.response(200, MetricListSchema)
    def get(self):
        """The metric catalogue goals and progress use"""
        return {"items": service.metric_catalogue()}
