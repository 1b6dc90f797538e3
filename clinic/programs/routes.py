from flask_smorest import Blueprint

blp = Blueprint("programs", __name__, url_prefix="/api/v1", description="Programs")
