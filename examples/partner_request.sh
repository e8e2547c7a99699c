#!/usr/bin/env bash
# A partner agency's whole path against the local stack (`make run` or `alpr dev up --detach`):
# its machine token by client credentials, a written request, a commander's approval, the fetch.
# Usage: examples/partner_request.sh [PLATE]   (default 7ABC123)
set -euo pipefail
PLATE="${1:-7ABC123}"
DATA_DIR="${ALPR_DEV_DIR:-.alpr}"
ISSUER="${ISSUER_URL:-http://127.0.0.1:8000}"
SHARING="${SHARING_URL:-http://127.0.0.1:8006}"
ALPR="${ALPR:-.venv/bin/alpr}"
json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# 1. The partner's token: client-credentials grant with its own client id and secret.
SECRET=$(json '["demo_clients"]["partner-demo"]' < "$DATA_DIR/secrets.json")
PARTNER=$(curl -sf -u "partner-demo:$SECRET" -d grant_type=client_credentials "$ISSUER/token" | json '["access_token"]')

# 2. The written request (R24): who asks, why, for which case, and the scope.
FROM=$(date -u -d '7 days ago' +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u -d '1 hour' +%Y-%m-%dT%H:%M:%SZ)
REQUEST=$(curl -sf -X POST "$SHARING/v1/requests" -H "Authorization: Bearer $PARTNER" \
  -H 'Content-Type: application/json' \
  -d "{\"requester_name\": \"Det. Pat Partner\", \"purpose\": \"stolen_vehicle\",
       \"case_number\": \"P-2026-77\", \"scope\": {\"plate\": \"$PLATE\", \"from\": \"$FROM\", \"to\": \"$TO\"}}" \
  | json '["id"]')
echo "request $REQUEST filed"

# 3. The host's commander approves it (a person with current training; here a dev token).
COMMANDER=$("$ALPR" dev token --sub cmd-demo --name "Commander Demo" --agency CA0019400 \
  --roles commander --training-expires 2099-12-31 | tail -1)
curl -sf -X POST "$SHARING/v1/requests/$REQUEST/decision" -H "Authorization: Bearer $COMMANDER" \
  -H 'Content-Type: application/json' -d '{"decision": "approve", "note": "case verified"}' > /dev/null
echo "request $REQUEST approved"

# 4. The partner fetches exactly the approved scope (the release is on the ledger).
curl -sf "$SHARING/v1/requests/$REQUEST/results" -H "Authorization: Bearer $PARTNER" \
  | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print("released", len(items), "detection(s):")
for d in items:
    print(" ", d["captured_at"], d["plate"], d["camera_id"])'
