import uuid

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.etag import etag_header
from clinic.core.pagination import Page, PageQuerySchema, link_header
from clinic.core.principal import STAFF_ROLES
from clinic.programs import service
from clinic.programs.schemas import (
    ProgramPageSchema,
    ProgramPatchSchema,
    ProgramSchema,
    ProgramWriteSchema,
)

blp = Blueprint("programs", __name__, url_prefix="/api/v1", description="Home exercise programs")

READ = "programs:read"
WRITE = "programs:write"


def _one(program, status=None):
    headers = etag_header(program.version)
    body = service.view_one(program)
    if status == 201:
        headers["Location"] = url_for("programs.ProgramResource", program_id=program.id)
        return body, 201, headers
    return body, headers


@blp.route("/episodes/<uuid:episode_id>/programs")
class EpisodePrograms(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="program")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ProgramPageSchema)
    def get(self, query, episode_id: uuid.UUID):
        """The episode's programs, every version (draft, published, superseded), by number"""
        page = service.list_programs(episode_id, query["cursor"], query["limit"])
        exercises = service.exercises_of(page.items)
        items = [service.view(p, exercises) for p in page.items]
        return Page(items, page.next_cursor), link_header(page.next_cursor)

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="program")
    @blp.arguments(ProgramWriteSchema)
    @blp.response(201, ProgramSchema)
    def post(self, data, episode_id: uuid.UUID):
        """Draft a home exercise program, numbered next in the episode

        Each item gets an `id`. More than 6 exercises is allowed, with a warning.
        """
        return _one(service.create_program(episode_id, data), 201)


@blp.route("/programs/<uuid:program_id>")
class ProgramResource(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="program")
    @blp.response(200, ProgramSchema)
    def get(self, program_id: uuid.UUID):
        """Read a program with its items and warnings"""
        return _one(service.read_program(program_id))

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="program")
    @blp.arguments(ProgramPatchSchema)
    @blp.response(200, ProgramSchema)
    def patch(self, changes, program_id: uuid.UUID):
        """Update a draft (needs If-Match); `items` sent replace the list as a whole"""
        return _one(service.update_program(program_id, changes))


@blp.route("/programs/<uuid:program_id>/publish")
class ProgramPublish(MethodView):
    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="program")
    @blp.response(200, ProgramSchema)
    def post(self, program_id: uuid.UUID):
        """Publish a draft: it freezes, and the episode's previous published version is superseded

        The patient sees the published program in their app. An empty
        program is refused (409). `If-Match` is optional: sent, it must match.
        """
        program = service.publish_program(program_id, if_match="If-Match" in request.headers)
        return _one(program)
