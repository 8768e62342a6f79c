"""uploads in the database: UPLOAD_STORAGE=database keeps each upload as chunks any worker can read (issue 17)

Revision ID: c3f1d2e4b5a6
Revises: c4e1a7b90d21
Create Date: 2026-12-01 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1d2e4b5a6'
down_revision = 'c4e1a7b90d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_upload',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_stored_upload'))
    )
    op.create_table('stored_upload_chunk',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['name'], ['stored_upload.name'], name=op.f('fk_stored_upload_chunk_name_stored_upload'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('name', 'seq', name=op.f('pk_stored_upload_chunk'))
    )


def downgrade():
    op.drop_table('stored_upload_chunk')
    op.drop_table('stored_upload')
