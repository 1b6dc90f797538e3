"""Who is calling: the authenticated principal of the current request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask import g

ADMIN = "admin"
CLINICIAN = "clinician"
PATIENT = "patient"
API_CLIENT = "api_client"

STAFF_ROLES = (ADMIN, CLINICIAN)


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "api_client"
    id: uuid.UUID
    clinic_id: uuid.UUID
    role: str  # admin, clinician, patient or api_client
    scopes: frozenset[str] = field(default_factory=frozenset)
    patient_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None

    @property
    def credential(self) -> str:
        """The identity idempotency keys are scoped to."""
        return f"{self.kind}:{self.id}"


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:  # pragma: no cover - routes are all declared
        raise RuntimeError("no authenticated principal on this request")
    return principal


def optional_principal() -> Principal | None:
    return g.get("principal")
