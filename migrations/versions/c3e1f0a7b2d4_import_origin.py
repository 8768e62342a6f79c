"""import origin: the wizard or `flask import-leads`, so the history says "By: command line" (issue 15)

Imports made before this revision count as the wizard's: one whose user is gone still reads "deleted user".

Revision ID: c3e1f0a7b2d4
Revises: a9c8ffc3a5c4
Create Date: 2026-12-01 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e1f0a7b2d4'
down_revision = 'a9c8ffc3a5c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lead_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=10), nullable=False, server_default='web'))
        batch_op.create_check_constraint('origin', "origin IN ('web', 'cli')")
    with op.batch_alter_table('lead_import', schema=None) as batch_op:
        batch_op.alter_column('origin', server_default=None)


def downgrade():
    with op.batch_alter_table('lead_import', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_lead_import_origin'), type_='check')
        batch_op.drop_column('origin')
