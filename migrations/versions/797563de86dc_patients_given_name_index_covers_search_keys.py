"""patients: the given-name index covers the keys name search sorts by

Revision ID: 797563de86dc
Revises: 53e788c45307
Create Date: 2026-11-27 04:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '797563de86dc'
down_revision = '53e788c45307'
branch_labels = None
depends_on = None

# Name search finds the patients whose given name starts with a word by a range
# of this index, then sorts them in list order to take one page (see
# clinic/core/search.py). Holding the list order's keys and archived_at, the
# index answers that on SQLite without reading a single row: the cost follows
# the matches, not the rows behind them. The index is rebuilt under its name.
NAME = 'ix_patients_clinic_given'
COVERING = ['clinic_id', 'given_name_key', 'family_name_key', 'id', 'archived_at']


def upgrade():
    op.drop_index(NAME, table_name='patients')
    op.create_index(NAME, 'patients', COVERING)


def downgrade():
    op.drop_index(NAME, table_name='patients')
    op.create_index(NAME, 'patients', ['clinic_id', 'given_name_key'])
