"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``."""

import gc

from sqlalchemy.orm import configure_mappers

from clinic import create_app

app = create_app()

# Start-up leaves some 140,000 long-lived objects (modules, mappers, schemas,
# the spec). Every full collection walked them all and paused a request for
# 70-80 ms, once in a few hundred list requests: the tail of every list under
# load. Frozen objects are never scanned again; the mappers are configured
# first so that their objects are among them. (With gunicorn --preload this
# also keeps the workers' copies of those pages shared.)
configure_mappers()
gc.freeze()
