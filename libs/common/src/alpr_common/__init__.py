"""alpr_common: what every ALPR service shares.

Settings (``ServiceSettings``), OIDC token validation (``TokenVerifier``, ``Principal``,
``require_roles``), RFC 9457 problems (``ProblemError`` and its subclasses), the database
unit of work (``DbSession``), the object store, health and metrics, structured logs and
tracing, and typed clients of the other services (``ServiceClients``). Importing it has no
side effects; ``create_service_app`` wires them into a FastAPI app.
"""

from ._accuracy import UNKNOWN_MODEL_VERSION, MisreadCounter
from ._app import create_service_app
from ._audit_events import (
    Actor,
    AuditBatchIn,
    AuditEventIn,
    AuditReceipt,
    AuditReceipts,
    actor_of,
    audit_event,
)
from ._auth import AUTHENTICATOR_ATTR, AnyPrincipal, authenticate, check_training, require_roles
from ._clients import ClientCredentials, ServiceCallError, ServiceClient
from ._database import (
    DbSession,
    async_database_url,
    check_database,
    driver_of,
    get_session,
    make_engine,
    make_sessionmaker,
    on_rollback,
)
from ._edge import FormText
from ._images import CheckedImage, check_image
from ._observability import REQUEST_ID_HEADER, configure_logging, request_id_var
from ._outbound import OutboundBlocked, OutboundClient, OutboundPolicy, OutboundSettings
from ._pagination import (
    AfterId,
    BeforeId,
    BeforeSequence,
    BeforeTime,
    Cursor,
    Limit,
    Page,
    Position,
    decode_cursor,
    encode_cursor,
)
from ._pipeline import Accepted, Box, DetectionBatch, DetectionRecord, MatchBatch, MatchRead
from ._plates import normalize_plate, normalize_plate_pattern
from ._problems import (
    PROBLEM_MEDIA_TYPE,
    AuditUnavailable,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    ProblemError,
    ProblemFieldError,
    PurposeProhibited,
    TrainingRequired,
    Unauthenticated,
    Unavailable,
    ValidationProblem,
    problem_responses,
)
from ._purpose import DEFAULT_CASE_NUMBER_PATTERN, check_purpose
from ._purpose_gate import require_purpose
from ._roles import MACHINE_ROLES, Role
from ._service_clients import (
    AuditClient,
    HotlistClient,
    IngestClient,
    RecognitionClient,
    SearchClient,
    ServiceClients,
    SharingClient,
)
from ._settings import ServiceSettings
from ._stats import StatsAgency, stats_agency
from ._storage import check_bucket, ensure_bucket, make_object_store
from ._tokens import ALLOWED_ALGORITHMS, Principal, TokenVerifier, principal_from_claims
from ._vocabulary import PROHIBITED_PURPOSES, Action, AuthorizedPurpose, Outcome, Purpose
from ._webhooks import new_webhook_secret, retry_delay, send_signed, webhook_headers
from ._whoami import WhoAmI

__all__ = [
    "ALLOWED_ALGORITHMS",
    "AUTHENTICATOR_ATTR",
    "DEFAULT_CASE_NUMBER_PATTERN",
    "MACHINE_ROLES",
    "PROBLEM_MEDIA_TYPE",
    "PROHIBITED_PURPOSES",
    "REQUEST_ID_HEADER",
    "UNKNOWN_MODEL_VERSION",
    "Accepted",
    "Action",
    "Actor",
    "AfterId",
    "AnyPrincipal",
    "AuditBatchIn",
    "AuditClient",
    "AuditEventIn",
    "AuditReceipt",
    "AuditReceipts",
    "AuditUnavailable",
    "AuthorizedPurpose",
    "BadRequest",
    "BeforeId",
    "BeforeSequence",
    "BeforeTime",
    "Box",
    "CheckedImage",
    "ClientCredentials",
    "Conflict",
    "Cursor",
    "DbSession",
    "DetectionBatch",
    "DetectionRecord",
    "Forbidden",
    "FormText",
    "HotlistClient",
    "IngestClient",
    "Limit",
    "MatchBatch",
    "MatchRead",
    "MisreadCounter",
    "NotFound",
    "OutboundBlocked",
    "OutboundClient",
    "OutboundPolicy",
    "OutboundSettings",
    "Outcome",
    "Page",
    "Position",
    "Principal",
    "Problem",
    "ProblemError",
    "ProblemFieldError",
    "Purpose",
    "PurposeProhibited",
    "RecognitionClient",
    "Role",
    "SearchClient",
    "ServiceCallError",
    "ServiceClient",
    "ServiceClients",
    "ServiceSettings",
    "SharingClient",
    "StatsAgency",
    "TokenVerifier",
    "TrainingRequired",
    "Unauthenticated",
    "Unavailable",
    "ValidationProblem",
    "WhoAmI",
    "actor_of",
    "async_database_url",
    "audit_event",
    "authenticate",
    "check_bucket",
    "check_database",
    "check_image",
    "check_purpose",
    "check_training",
    "configure_logging",
    "create_service_app",
    "decode_cursor",
    "driver_of",
    "encode_cursor",
    "ensure_bucket",
    "get_session",
    "make_engine",
    "make_object_store",
    "make_sessionmaker",
    "new_webhook_secret",
    "normalize_plate",
    "normalize_plate_pattern",
    "on_rollback",
    "principal_from_claims",
    "problem_responses",
    "request_id_var",
    "require_purpose",
    "require_roles",
    "retry_delay",
    "send_signed",
    "stats_agency",
    "webhook_headers",
]
