from flask_smorest import Blueprint

blp = Blueprint("exercises", __name__, url_prefix="/api/v1", description="Exercises")
