"""Legal holds and their held detections (R17)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "s2holds"
down_revision: str | None = "s1detections"


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("case_number", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("holder", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        sa.Column("released_by", postgresql.JSONB()),
        sa.PrimaryKeyConstraint("id", name="pk_holds"),
        schema="search",
    )
    op.create_index("ix_holds_agency", "holds", ["agency", "created_at"], schema="search")
    op.create_table(
        "hold_items",
        sa.Column("hold_id", sa.Uuid(), nullable=False),
        sa.Column("detection_id", sa.Uuid(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crop_key", sa.Text()),
        sa.Column("frame_key", sa.Text()),
        sa.Column("detection", postgresql.JSONB(), nullable=False),
        sa.ForeignKeyConstraint(["hold_id"], ["search.holds.id"], name="fk_hold_items_hold_id_holds"),
        sa.PrimaryKeyConstraint("hold_id", "detection_id", name="pk_hold_items"),
        schema="search",
    )


def downgrade() -> None:
    op.drop_table("hold_items", schema="search")
    op.drop_table("holds", schema="search")
