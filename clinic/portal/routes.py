from flask_smorest import Blueprint

blp = Blueprint("portal", __name__, url_prefix="/api/v1", description="Portal")
