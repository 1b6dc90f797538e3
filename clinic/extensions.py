"""Extension singletons, bound to the app in ``create_app``."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from clinic.core.api import ProblemApi
from clinic.core.models import Base

db = SQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True})
migrate = Migrate(compare_type=True, render_as_batch=True)
api = ProblemApi()
