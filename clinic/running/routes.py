import uuid

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.etag import etag_header
from clinic.core.pagination import Page, PageQuerySchema, link_header
from clinic.core.principal import PATIENT, STAFF_ROLES, current_principal
from clinic.running import service
from clinic.running.schemas import (
    ReturnToRunSchema,
    RunCreateSchema,
    RunPageSchema,
    RunPatchSchema,
    RunPlanCreateSchema,
    RunPlanSchema,
    RunSchema,
)

blp = Blueprint("running", __name__, url_prefix="/api/v1", description="Return to running")

READ = "clinical:read"
WRITE = "clinical:write"


@blp.route("/episodes/<uuid:episode_id>/return-to-run")
class ReturnToRunChecklist(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="return_to_run")
    @blp.response(200, ReturnToRunSchema)
    def get(self, episode_id: uuid.UUID):
        """The return-to-run criteria checklist from the latest finalised assessment

        Each criterion is `met`, `not_met` or `not_measured`, with its evidence. The
        thresholds are the app config's `RTR_*` settings (defaults: IJSPT 2022).
        """
        return service.return_to_run_checklist(episode_id)


@blp.route("/episodes/<uuid:episode_id>/run-plan")
class EpisodeRunPlan(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="run_plan")
    @blp.response(200, RunPlanSchema)
    def get(self, episode_id: uuid.UUID):
        """The graded walk-run plan: current phase, may the next run progress, warnings

        404 when the episode has no plan.
        """
        return service.read_plan(episode_id)

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="run_plan")
    @blp.arguments(RunPlanCreateSchema)
    @blp.response(201, RunPlanSchema)
    def post(self, data, episode_id: uuid.UUID):
        """Start the episode's walk-run plan (one per episode; only in `return_to_run`)

        409 when the episode is in another state or already has a plan.
        """
        plan = service.create_plan(current_principal(), episode_id, data)
        location = url_for("running.EpisodeRunPlan", episode_id=episode_id)
        return plan, 201, {"Location": location}


@blp.route("/me/runs")
class MyRuns(MethodView):
    @access(roles=(PATIENT,), audit="run")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, RunPageSchema)
    def get(self, query):
        """My logged runs, newest first"""
        page = service.list_runs(current_principal(), query["cursor"], query["limit"])
        return Page(page.items, page.next_cursor), link_header(page.next_cursor)

    @access(roles=(PATIENT,), audit="run")
    @blp.arguments(RunCreateSchema)
    @blp.response(201, RunSchema)
    def post(self, data):
        """Log a run of my walk-run plan

        The run joins my episode in return to running that has a plan (409 when there is
        none). The date may not be in the future nor before the plan's start.
        """
        run = service.log_run(current_principal(), data)
        headers = etag_header(run.version)
        headers["Location"] = url_for("running.MyRun", run_id=run.id)
        return run, 201, headers


@blp.route("/me/runs/<uuid:run_id>")
class MyRun(MethodView):
    @access(roles=(PATIENT,), audit="run")
    @blp.response(200, RunSchema)
    def get(self, run_id: uuid.UUID):
        """One of my runs"""
        run = service.read_run(current_principal(), run_id)
        return run, etag_header(run.version)

    @access(roles=(PATIENT,), audit="run")
    @blp.arguments(RunPatchSchema)
    @blp.response(200, RunSchema)
    def patch(self, changes, run_id: uuid.UUID):
        """Add the next morning's pain (`pain_next_day`) or notes to one of my runs

        `If-Match` is optional: sent, it must match the run's ETag (412 otherwise).
        `pain_next_day` is accepted from the day after the run.
        """
        run = service.update_run(
            current_principal(), run_id, changes, if_match="If-Match" in request.headers
        )
        return run, etag_header(run.version)
