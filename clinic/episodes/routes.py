import uuid

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.etag import etag_header
from clinic.core.pagination import Page, PageQuerySchema, link_header
from clinic.core.principal import STAFF_ROLES, current_principal
from clinic.episodes import service
from clinic.episodes.schemas import (
    EpisodePageSchema,
    EpisodePatchSchema,
    EpisodeSchema,
    EpisodeWriteSchema,
    TransitionListSchema,
    TransitionRequestSchema,
)

blp = Blueprint("episodes", __name__, url_prefix="/api/v1", description="Episodes of care")

READ = "clinical:read"
WRITE = "clinical:write"


def _one(episode, status=None):
    headers = etag_header(episode.version)
    if status == 201:
        headers["Location"] = url_for("episodes.EpisodeItem", episode_id=episode.id)
        return service.view(episode), 201, headers
    return service.view(episode), headers


@blp.route("/patients/<uuid:patient_id>/episodes")
class PatientEpisodes(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="episode")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, EpisodePageSchema)
    def get(self, query, patient_id: uuid.UUID):
        """List a patient's episodes of care, oldest first"""
        page = service.list_episodes(patient_id, query["cursor"], query["limit"])
        items = [service.view(e) for e in page.items]
        return Page(items, page.next_cursor), link_header(page.next_cursor)

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="episode")
    @blp.arguments(EpisodeWriteSchema)
    @blp.response(201, EpisodeSchema)
    def post(self, data, patient_id: uuid.UUID):
        """Open an episode of care (status `intake`) with the intake history"""
        return _one(service.open_episode(current_principal().clinic_id, patient_id, data), 201)


@blp.route("/episodes/<uuid:episode_id>")
class EpisodeItem(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="episode")
    @blp.response(200, EpisodeSchema)
    def get(self, episode_id: uuid.UUID):
        """Read an episode of care"""
        return _one(service.read_episode(episode_id))

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="episode")
    @blp.arguments(EpisodePatchSchema)
    @blp.response(200, EpisodeSchema)
    def patch(self, changes, episode_id: uuid.UUID):
        """Update an episode's history and diagnoses (needs If-Match; not its status)"""
        return _one(service.update_episode(episode_id, changes))


@blp.route("/episodes/<uuid:episode_id>/transitions")
class EpisodeTransitions(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="episode")
    @blp.response(200, TransitionListSchema)
    def get(self, episode_id: uuid.UUID):
        """The episode's workflow history: every move, who, when and why"""
        return {"items": service.list_transitions(episode_id)}

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="episode")
    @blp.arguments(TransitionRequestSchema)
    @blp.response(200, EpisodeSchema)
    def post(self, data, episode_id: uuid.UUID):
        """Move the episode through the workflow

        409 lists the unmet requirements (`unmet: [{code, message}]`).
        `override: true` with a `reason` is accepted only into `return_to_run`.
        `If-Match` is optional: sent, it must match.
        """
        episode = service.transition(
            current_principal(), episode_id, data, if_match="If-Match" in request.headers
        )
        return _one(episode)
