"""The detection store, partitioned by capture day."""

from alembic import op

revision: str = "s1detections"
down_revision: str | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        """
        CREATE TABLE search.detections (
            id uuid NOT NULL,
            captured_at timestamptz NOT NULL,
            agency varchar(32) NOT NULL,
            camera_id uuid NOT NULL,
            latitude double precision,
            longitude double precision,
            plate varchar(16) NOT NULL,
            plate_corrected varchar(16),
            region varchar(8) NOT NULL,
            confidence double precision NOT NULL,
            box jsonb,
            crop_key text,
            frame_key text,
            vehicle jsonb NOT NULL DEFAULT '{}'::jsonb,
            created_at timestamptz NOT NULL,
            CONSTRAINT pk_detections PRIMARY KEY (id, captured_at)
        ) PARTITION BY RANGE (captured_at)
        """
    )
    # Exact plate + time, partial plates (trigrams), time + camera, and position by bounding box.
    op.execute("CREATE INDEX ix_detections_plate ON search.detections (agency, plate, captured_at)")
    op.execute("CREATE INDEX ix_detections_plate_trgm ON search.detections USING gin (plate gin_trgm_ops)")
    op.execute("CREATE INDEX ix_detections_camera ON search.detections (agency, camera_id, captured_at)")
    op.execute("CREATE INDEX ix_detections_time ON search.detections (agency, captured_at)")
    op.execute("CREATE INDEX ix_detections_position ON search.detections (agency, latitude, longitude)")


def downgrade() -> None:
    op.execute("DROP TABLE search.detections")
