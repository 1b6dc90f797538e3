"""patients: byte-order name indexes for prefix search (PostgreSQL)

Revision ID: 53e788c45307
Revises: ef2c584bb997
Create Date: 2026-11-26 16:27:56.000000

"""
from alembic import op
import sqlalchemy as sa

import clinic.core.models


# revision identifiers, used by Alembic.
revision = '53e788c45307'
down_revision = 'ef2c584bb997'
branch_labels = None
depends_on = None

# Name search compares the name keys COLLATE "C" on PostgreSQL (byte order, see
# clinic/core/search.py), which an index in the database's collation cannot
# serve. SQLite compares in byte order by default, and ix_patients_clinic_name
# and ix_patients_clinic_given serve it there: nothing to do on SQLite.
INDEXES = {
    'ix_patients_clinic_family_prefix': 'family_name_key',
    'ix_patients_clinic_given_prefix': 'given_name_key',
}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, column in INDEXES.items():
            op.create_index(name, 'patients', ['clinic_id', sa.text(f'{column} COLLATE "C"')])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.drop_index(name, table_name='patients')
