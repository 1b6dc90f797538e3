from flask_smorest import Blueprint

blp = Blueprint("running", __name__, url_prefix="/api/v1", description="Running")
