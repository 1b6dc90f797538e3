"""A read-only FHIR R4 view of the clinical record, for integrations (DOMAIN.md section 7).

``mapping`` turns our rows into FHIR resources (pure functions), ``service``
reads the rows (a projection: its own read-only queries), ``routes`` serves
``/fhir/R4`` as ``application/fhir+json``.
"""
