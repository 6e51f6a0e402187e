#!/usr/bin/env bash
# Deploy PeerPrep to a Google Cloud project, idempotently: every step creates what is missing and
# updates what exists, so running it twice is safe.
#
#   ./deploy.sh --project my-project [--region europe-west1] [--dry-run]
#               [--only FUNCTION] [--canary PERCENT] [--promote] [--rollback]
#
#   --dry-run        print every command instead of running it
#   --only NAME      deploy just this function (infrastructure steps still run; they are no-ops)
#   --canary N       deploy new revisions but send them only N% of the traffic
#   --promote        send 100% of the traffic to the latest revisions
#   --rollback       send 100% of the traffic back to the previous revisions
#
# Needs: gcloud (authenticated, with rights to create the resources below), python3 with the
# project's requirements (make install), and for Firestore rules and indexes node_modules
# (firebase-tools). Secrets are never read from this repository: GEMINI_API_KEY, when set in the
# environment of this script, is stored as a new version of the gemini-api-key secret.
set -euo pipefail

cd "$(dirname "$0")"
PROJECT=""
REGION="europe-west1"
DRY_RUN=0
ONLY=""
CANARY=""
MODE="deploy"
PY="${PYTHON:-.venv/bin/python}"

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --project) PROJECT="$2"; shift 2 ;;
    --region) REGION="$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --only) ONLY="$2"; shift 2 ;;
    --canary) CANARY="$2"; shift 2 ;;
    --promote) MODE="promote"; shift ;;
    --rollback) MODE="rollback"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done
[ -n "$PROJECT" ] || { echo "--project is required" >&2; exit 2; }
if [ -n "$CANARY" ] && ! [[ "$CANARY" =~ ^[0-9]+$ && "$CANARY" -ge 1 && "$CANARY" -le 99 ]]; then
  echo "--canary takes a percentage from 1 to 99" >&2; exit 2
fi

run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

# "exists" checks run for real only outside a dry run; in a dry run everything looks missing,
# so the plan shows every create command.
exists() { [ "$DRY_RUN" = 0 ] && "$@" >/dev/null 2>&1; }

G=(gcloud --project="$PROJECT" --quiet)
SA_FUNCTIONS="peerprep-functions@${PROJECT}.iam.gserviceaccount.com"
SA_TASKS="peerprep-tasks@${PROJECT}.iam.gserviceaccount.com"
SA_PUSH="peerprep-push@${PROJECT}.iam.gserviceaccount.com"
SA_JOBS="peerprep-jobs@${PROJECT}.iam.gserviceaccount.com"
TOPIC="match-requests"
QUEUE="match-timeouts"
API_BASE="https://peerprep-gateway-${PROJECT}.${REGION}.gateway.dev/api"

mapfile -t FUNCTIONS < <("$PY" -m tools.deploy_plan functions)

function_url() { echo "https://${REGION}-${PROJECT}.cloudfunctions.net/$1"; }

traffic() {  # route traffic of every selected function's Cloud Run service
  local target="$1" line name
  for line in "${FUNCTIONS[@]}"; do
    name="${line%%$'\t'*}"
    [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || continue
    local service="${name//_/-}"
    case "$target" in
      latest) run "${G[@]}" run services update-traffic "$service" --region="$REGION" --to-latest ;;
      previous)
        local previous
        previous=$([ "$DRY_RUN" = 1 ] && echo "PREVIOUS_REVISION" || "${G[@]}" run revisions list \
          --service="$service" --region="$REGION" --sort-by=~metadata.creationTimestamp \
          --format='value(metadata.name)' --limit=2 | tail -n 1)
        run "${G[@]}" run services update-traffic "$service" --region="$REGION" \
          --to-revisions="${previous}=100" ;;
    esac
  done
}

serving_revision() {  # the revision serving a function now (before a canary deploy)
  if [ "$DRY_RUN" = 1 ]; then echo "SERVING_REVISION"; return; fi
  "${G[@]}" run services describe "${1//_/-}" --region="$REGION" \
    --format='value(status.traffic[0].revisionName)' 2>/dev/null || true
}

case "$MODE" in
  promote) traffic latest; exit 0 ;;
  rollback) traffic previous; exit 0 ;;
esac

echo "== APIs"
run "${G[@]}" services enable cloudfunctions.googleapis.com run.googleapis.com \
  cloudbuild.googleapis.com artifactregistry.googleapis.com firestore.googleapis.com \
  pubsub.googleapis.com cloudtasks.googleapis.com secretmanager.googleapis.com \
  apigateway.googleapis.com servicecontrol.googleapis.com cloudscheduler.googleapis.com \
  logging.googleapis.com monitoring.googleapis.com identitytoolkit.googleapis.com

echo "== service accounts, least privilege"
for sa in peerprep-functions peerprep-tasks peerprep-push peerprep-jobs; do
  exists "${G[@]}" iam service-accounts describe "${sa}@${PROJECT}.iam.gserviceaccount.com" ||
    run "${G[@]}" iam service-accounts create "$sa" --display-name="PeerPrep ${sa#peerprep-}"
done
for role in roles/datastore.user roles/pubsub.publisher roles/cloudtasks.enqueuer \
  roles/secretmanager.secretAccessor roles/firebaseauth.admin roles/logging.logWriter; do
  run "${G[@]}" projects add-iam-policy-binding "$PROJECT" \
    --member="serviceAccount:${SA_FUNCTIONS}" --role="$role" --condition=None
done
# The functions enqueue tasks that carry the tasks account's OIDC token: they may act as it.
run "${G[@]}" iam service-accounts add-iam-policy-binding "$SA_TASKS" \
  --member="serviceAccount:${SA_FUNCTIONS}" --role=roles/iam.serviceAccountUser
for role in roles/datastore.user roles/firebaseauth.viewer roles/logging.logWriter; do
  run "${G[@]}" projects add-iam-policy-binding "$PROJECT" \
    --member="serviceAccount:${SA_JOBS}" --role="$role" --condition=None
done

echo "== Pub/Sub: topic, dead-letter topic"
for topic in "$TOPIC" "${TOPIC}-dead-letter"; do
  exists "${G[@]}" pubsub topics describe "$topic" || run "${G[@]}" pubsub topics create "$topic"
done

echo "== Cloud Tasks queue"
if exists "${G[@]}" tasks queues describe "$QUEUE" --location="$REGION"; then
  run "${G[@]}" tasks queues update "$QUEUE" --location="$REGION" --max-attempts=20 \
    --min-backoff=1s --max-backoff=60s
else
  run "${G[@]}" tasks queues create "$QUEUE" --location="$REGION" --max-attempts=20 \
    --min-backoff=1s --max-backoff=60s
fi

echo "== secrets"
exists "${G[@]}" secrets describe gemini-api-key ||
  run "${G[@]}" secrets create gemini-api-key --replication-policy=automatic
if [ -n "${GEMINI_API_KEY:-}" ]; then
  if [ "$DRY_RUN" = 1 ]; then
    echo "+ gcloud secrets versions add gemini-api-key --data-file=- (value from GEMINI_API_KEY)"
  else
    printf '%s' "$GEMINI_API_KEY" | "${G[@]}" secrets versions add gemini-api-key --data-file=-
  fi
fi

echo "== functions"
ENV_VARS="GOOGLE_CLOUD_PROJECT=${PROJECT},TASKS_LOCATION=${REGION},PUBLIC_BASE_URL=${API_BASE}"
ENV_VARS+=",TASKS_SERVICE_ACCOUNT=${SA_TASKS},TASKS_AUDIENCE=$(function_url match_timeout)"
for line in "${FUNCTIONS[@]}"; do
  IFS=$'\t' read -r name kind access <<<"$line"
  [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || continue
  args=(functions deploy "$name" --gen2 --runtime=python311 --region="$REGION" --source=.
    --entry-point="$name" --trigger-http --service-account="$SA_FUNCTIONS"
    --set-env-vars="$ENV_VARS" --memory=512Mi --timeout=60s --max-instances=50)
  case "$access" in
    tasks|pubsub) args+=(--no-allow-unauthenticated) ;;
    *) args+=(--allow-unauthenticated) ;;  # behind API Gateway; each checks the Firebase token
  esac
  case "$name" in ai_*) args+=(--set-secrets=GEMINI_API_KEY=gemini-api-key:latest) ;; esac
  previous=""
  [ -z "$CANARY" ] || previous="$(serving_revision "$name")"
  run "${G[@]}" "${args[@]}"
  if [ -n "$previous" ]; then
    # A deploy sends all traffic to the new revision: split it at once, the rest to the old one.
    run "${G[@]}" run services update-traffic "${name//_/-}" --region="$REGION" \
      --to-revisions="${previous}=$((100 - CANARY)),LATEST=${CANARY}"
  fi
  case "$access" in
    tasks) run "${G[@]}" functions add-invoker-policy-binding "$name" --region="$REGION" \
      --member="serviceAccount:${SA_TASKS}" ;;
    pubsub) run "${G[@]}" functions add-invoker-policy-binding "$name" --region="$REGION" \
      --member="serviceAccount:${SA_PUSH}" ;;
  esac
done

echo "== push subscription to the matching worker (ordered per bucket, dead letters kept)"
SUB=(--topic="$TOPIC" --push-endpoint="$(function_url match_worker)"
  --push-auth-service-account="$SA_PUSH" --ack-deadline=60
  --dead-letter-topic="${TOPIC}-dead-letter" --max-delivery-attempts=10
  --min-retry-delay=1s --max-retry-delay=60s)
if exists "${G[@]}" pubsub subscriptions describe match-worker; then
  run "${G[@]}" pubsub subscriptions update match-worker "${SUB[@]:1}"
else
  run "${G[@]}" pubsub subscriptions create match-worker "${SUB[@]}" --enable-message-ordering
fi

echo "== Cloud Run jobs and their schedules"
for job in "import-questions:jobs.import_questions:" "sweeper:jobs.sweeper:*/5 * * * *"; do
  IFS=: read -r jobname module schedule <<<"$job"
  run "${G[@]}" run jobs deploy "peerprep-${jobname}" --source=. --region="$REGION" \
    --service-account="$SA_JOBS" --set-env-vars="GOOGLE_CLOUD_PROJECT=${PROJECT}" \
    --command=python --args="-m,${module}" --max-retries=1 --task-timeout=600s
  if [ -n "$schedule" ]; then
    uri="https://${REGION}-run.googleapis.com/apis/run.googleapis.com/v1/namespaces/${PROJECT}/jobs/peerprep-${jobname}:run"
    verb=create
    exists "${G[@]}" scheduler jobs describe "peerprep-${jobname}" --location="$REGION" && verb=update
    run "${G[@]}" scheduler jobs "$verb" http "peerprep-${jobname}" --location="$REGION" \
      --schedule="$schedule" --uri="$uri" --http-method=POST \
      --oauth-service-account-email="$SA_JOBS"
  fi
done

echo "== Firestore rules and indexes"
run node_modules/.bin/firebase deploy --only firestore:rules,firestore:indexes \
  --project="$PROJECT" --config=firebase.deploy.json --non-interactive

echo "== API Gateway"
SPEC_FILE="$(mktemp)"
"$PY" -m tools.deploy_plan gateway --project="$PROJECT" --region="$REGION" >"$SPEC_FILE"
CONFIG="peerprep-$(sha256sum "$SPEC_FILE" | cut -c1-12)"
exists "${G[@]}" api-gateway apis describe peerprep || run "${G[@]}" api-gateway apis create peerprep
exists "${G[@]}" api-gateway api-configs describe "$CONFIG" --api=peerprep ||
  run "${G[@]}" api-gateway api-configs create "$CONFIG" --api=peerprep \
    --openapi-spec="$SPEC_FILE" --backend-auth-service-account="$SA_FUNCTIONS"
if exists "${G[@]}" api-gateway gateways describe peerprep-gateway --location="$REGION"; then
  run "${G[@]}" api-gateway gateways update peerprep-gateway --location="$REGION" \
    --api=peerprep --api-config="$CONFIG"
else
  run "${G[@]}" api-gateway gateways create peerprep-gateway --location="$REGION" \
    --api=peerprep --api-config="$CONFIG"
fi

echo "== log-based metrics and alerts"
for event in match_requested match_created match_timed_out match_cancelled ai_call; do
  filter="jsonPayload.event=\"${event}\""
  if exists "${G[@]}" logging metrics describe "$event"; then
    run "${G[@]}" logging metrics update "$event" --log-filter="$filter"
  else
    run "${G[@]}" logging metrics create "$event" --log-filter="$filter" \
      --description="PeerPrep ${event//_/ } events"
  fi
done
exists "${G[@]}" logging metrics describe server_errors ||
  run "${G[@]}" logging metrics create server_errors --description="PeerPrep 5xx responses" \
    --log-filter='jsonPayload.httpRequest.status>=500'
policies=""
[ "$DRY_RUN" = 1 ] || policies="$("${G[@]}" alpha monitoring policies list \
  --filter='displayName:"PeerPrep"' --format='value(name)' 2>/dev/null || true)"
[ -n "$policies" ] ||
  run "${G[@]}" alpha monitoring policies create --policy-from-file=ops/alert-policies.json

echo "== done${CANARY:+ (canary at ${CANARY}%: ./deploy.sh --project $PROJECT --promote when healthy)}"
