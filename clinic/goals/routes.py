import uuid

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.etag import etag_header
from clinic.core.pagination import Page, PageQuerySchema, link_header
from clinic.core.principal import PATIENT, STAFF_ROLES, current_principal
from clinic.goals import service
from clinic.goals.schemas import (
    GoalCreateSchema,
    GoalPageSchema,
    GoalPatchSchema,
    GoalQuerySchema,
    GoalSchema,
    PatientGoalPageSchema,
)

blp = Blueprint("goals", __name__, url_prefix="/api/v1", description="SMART goals")

READ = "clinical:read"
WRITE = "clinical:write"


def _one(goal, status=None):
    headers = etag_header(goal.version)
    if status == 201:
        headers["Location"] = url_for("goals.GoalItem", goal_id=goal.id)
        return service.view(goal), 201, headers
    return service.view(goal), headers


@blp.route("/episodes/<uuid:episode_id>/goals")
class EpisodeGoals(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="goal")
    @blp.arguments(GoalQuerySchema, location="query")
    @blp.response(200, GoalPageSchema)
    def get(self, query, episode_id: uuid.UUID):
        """List an episode's goals, oldest first"""
        page = service.list_goals(
            episode_id,
            query["cursor"],
            query["limit"],
            lifecycle_status=query.get("lifecycle_status"),
            term=query.get("term"),
        )
        items = [service.view(g) for g in page.items]
        return Page(items, page.next_cursor), link_header(page.next_cursor)

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="goal")
    @blp.arguments(GoalCreateSchema)
    @blp.response(201, GoalSchema)
    def post(self, data, episode_id: uuid.UUID):
        """Set a SMART goal; 422 names every part that is missing or wrong

        `baseline_value` defaults to the metric's latest finalised value in the episode,
        `unit` to the metric's unit, `start_date` to today. `warnings` flags a horizon
        unusual for the term (short 2-4 weeks, long 6-12); 409 on a closed episode.
        """
        return _one(service.create_goal(episode_id, data), 201)


@blp.route("/goals/<uuid:goal_id>")
class GoalItem(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="goal")
    @blp.response(200, GoalSchema)
    def get(self, goal_id: uuid.UUID):
        """Read a goal with its current value, progress and statuses"""
        return _one(service.read_goal(goal_id))

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="goal")
    @blp.arguments(GoalPatchSchema)
    @blp.response(200, GoalSchema)
    def patch(self, changes, goal_id: uuid.UUID):
        """Move a goal's lifecycle or change it (needs If-Match); it must stay SMART

        proposed -> active or cancelled; active -> on-hold, completed or cancelled;
        on-hold -> active or cancelled; completed and cancelled are final (409).
        """
        return _one(service.update_goal(goal_id, changes))


@blp.route("/me/goals")
class MyGoals(MethodView):
    @access(roles=(PATIENT,), audit="goal")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, PatientGoalPageSchema)
    def get(self, query):
        """My goals across my episodes of care, with my progress (cancelled ones left out)"""
        page = service.list_my_goals(current_principal(), query["cursor"], query["limit"])
        items = [service.patient_view(g) for g in page.items]
        return Page(items, page.next_cursor), link_header(page.next_cursor)
