"""workbook sheet: the sheet of an Excel workbook an import reads (issue 11)

Revision ID: c4e1a7b90d21
Revises: c3e1f0a7b2d4
Create Date: 2026-12-01 13:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a7b90d21'
down_revision = 'c3e1f0a7b2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lead_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('lead_import', schema=None) as batch_op:
        batch_op.drop_column('sheet')
