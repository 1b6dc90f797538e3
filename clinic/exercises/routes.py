import uuid

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.pagination import Page, link_header
from clinic.core.principal import STAFF_ROLES, current_principal
from clinic.exercises import service
from clinic.exercises.schemas import (
    ExercisePageSchema,
    ExerciseQuerySchema,
    ExerciseSchema,
    ExerciseWriteSchema,
)

blp = Blueprint("exercises", __name__, url_prefix="/api/v1", description="Exercise catalogue")

READ = "programs:read"
WRITE = "programs:write"


@blp.route("/exercises")
class Exercises(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,))
    @blp.arguments(ExerciseQuerySchema, location="query")
    @blp.response(200, ExercisePageSchema)
    def get(self, query):
        """Search the clinic's exercises: the seeded catalogue and its own

        Sorted by category, then name. `q` matches any part of the name,
        ignoring case; `category` is one of the catalogue's categories.
        """
        page = service.list_exercises(
            query.get("category"), query.get("q"), query["cursor"], query["limit"]
        )
        items = [service.view(e) for e in page.items]
        return Page(items, page.next_cursor), link_header(page.next_cursor)

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="exercise")
    @blp.arguments(ExerciseWriteSchema)
    @blp.response(201, ExerciseSchema)
    def post(self, data):
        """Add an exercise of the clinic's own (default reps or a hold time, not both)"""
        exercise = service.add_exercise(current_principal().clinic_id, data)
        location = url_for("exercises.ExerciseItem", exercise_id=exercise.id)
        return service.view(exercise), 201, {"Location": location}


@blp.route("/exercises/<uuid:exercise_id>")
class ExerciseItem(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,))
    @blp.response(200, ExerciseSchema)
    def get(self, exercise_id: uuid.UUID):
        """Read an exercise with its instructions and default dosage"""
        return service.view(service.find_exercise(exercise_id))
