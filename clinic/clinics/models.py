from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import Base, IdMixin, TimestampMixin


class Clinic(IdMixin, TimestampMixin, Base):
    """A tenant: every clinic-owned row points at one."""

    __tablename__ = "clinics"

    name: Mapped[str] = mapped_column(String(200))
