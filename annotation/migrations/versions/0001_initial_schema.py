"""Initial schema: users, sessions, projects, documents, assignments, versioned annotations, drafts,
predictions, adjudications, settings and rejected import records.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('taxonomy', sa.JSON(), nullable=False),
    sa.Column('taxonomy_name', sa.String(length=100), nullable=False),
    sa.Column('taxonomy_version', sa.String(length=32), nullable=False),
    sa.Column('guidelines', sa.Text(), nullable=False),
    sa.Column('overlap', sa.Integer(), nullable=False),
    sa.Column('max_overlap', sa.Integer(), nullable=False),
    sa.Column('strategy', sa.String(length=16), nullable=False),
    sa.Column('model_mode', sa.String(length=16), nullable=False),
    sa.Column('active_model', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("model_mode IN ('off', 'hint', 'prefill')", name=op.f('ck_projects_model_mode')),
    sa.CheckConstraint("strategy IN ('sequential', 'uncertainty', 'disagreement')", name=op.f('ck_projects_strategy')),
    sa.CheckConstraint('max_overlap >= overlap', name=op.f('ck_projects_max_overlap')),
    sa.CheckConstraint('overlap >= 1', name=op.f('ck_projects_overlap')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('name', name=op.f('uq_projects_name'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'reviewer', 'annotator')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('ext_id', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=50), nullable=True),
    sa.Column('outlet', sa.String(length=200), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=True),
    sa.Column('tokens', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('n_assigned', sa.Integer(), nullable=False),
    sa.Column('n_done', sa.Integer(), nullable=False),
    sa.Column('uncertainty', sa.Float(), nullable=True),
    sa.Column('disagreement', sa.Float(), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('n_assigned >= 0', name=op.f('ck_documents_n_assigned')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_documents_project_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('project_id', 'ext_id', name='uq_documents_project_ext')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_queue', ['project_id', 'position'], unique=False)

    op.create_table('login_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('memberships',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_memberships_project_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('rejected_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=500), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_rejected_records_project_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_records'))
    )
    with op.batch_alter_table('rejected_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejected_records_project_id'), ['project_id'], unique=False)

    op.create_table('adjudications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('spans', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('submission_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_adjudications_version')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_adjudications_document_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_adjudications_project_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_adjudications_reviewer_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjudications')),
    sa.UniqueConstraint('document_id', 'version', name='uq_adjudications_doc_version'),
    sa.UniqueConstraint('submission_id', name=op.f('uq_adjudications_submission_id'))
    )
    with op.batch_alter_table('adjudications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjudications_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjudications_project_id'), ['project_id'], unique=False)

    op.create_table('annotations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('spans', sa.JSON(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('submission_id', sa.String(length=64), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('prefilled_from', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_annotations_version')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_annotations_document_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_annotations_project_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_annotations_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotations')),
    sa.UniqueConstraint('document_id', 'user_id', 'version', name='uq_annotations_doc_user_version'),
    sa.UniqueConstraint('submission_id', name=op.f('uq_annotations_submission_id'))
    )
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotations_document_id'), ['document_id'], unique=False)
        batch_op.create_index('ix_annotations_project_user', ['project_id', 'user_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'done', 'skipped')", name=op.f('ck_assignments_status')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_assignments_document_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_assignments_project_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignments_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('document_id', 'user_id', name='uq_assignments_doc_user')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_queue', ['project_id', 'user_id', 'status'], unique=False)

    op.create_table('drafts',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_drafts_document_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_drafts_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'user_id', name=op.f('pk_drafts'))
    )
    op.create_table('predictions',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('uncertainty', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_predictions_document_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'model', name=op.f('pk_predictions'))
    )


def downgrade() -> None:
    op.drop_table('predictions')
    op.drop_table('drafts')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_queue')

    op.drop_table('assignments')
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index('ix_annotations_project_user')
        batch_op.drop_index(batch_op.f('ix_annotations_document_id'))

    op.drop_table('annotations')
    with op.batch_alter_table('adjudications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjudications_project_id'))
        batch_op.drop_index(batch_op.f('ix_adjudications_document_id'))

    op.drop_table('adjudications')
    with op.batch_alter_table('rejected_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejected_records_project_id'))

    op.drop_table('rejected_records')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))

    op.drop_table('login_sessions')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_queue')

    op.drop_table('documents')
    op.drop_table('users')
    op.drop_table('settings')
    op.drop_table('projects')
