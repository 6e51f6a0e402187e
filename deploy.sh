#!/usr/bin/env bash
# Deploy PeerPrep to a Google Cloud project, idempotently: every step creates what is missing and
# updates what exists, so running it twice is safe.
#
#   ./deploy.sh --project my-project [--region europe-west1] [--dry-run] [--only FUNCTION]
#               [--web-origin https://app.example.com] [--alert-email ops@example.com]
#               [--alert-channel CHANNEL_ID]
#               [--canary PERCENT | --promote | --rollback] [--skip-web]
#
#   --dry-run        print every command instead of running it (calls nothing)
#   --only NAME      deploy just this function, or "runner" (infrastructure steps still run)
#   --web-origin O   one more origin allowed by CORS (the Hosting origins always are); repeatable
#   --alert-email A  send the alerts to this address (a Monitoring e-mail channel)
#   --alert-channel C  also send them to this existing notification channel (its id, or
#                    projects/P/notificationChannels/ID: PagerDuty, Slack...); repeatable
#   --canary N       deploy new revisions with no traffic (tag "canary"), then give them N%
#   --promote        send 100% of the traffic to the latest revisions
#   --rollback       send 100% of the traffic back to the previous revisions
#   --skip-web       do not build and deploy the web client to Firebase Hosting
#   --backup-retention-days N   keep the daily Firestore exports N days (default 30)
#   --database NAME  the Firestore database the functions, jobs, web client, rules, indexes and
#                    daily export use (default "(default)"); after a restore into a new
#                    database (ops/restore.sh), its name switches everything to it
#
# Needs: gcloud (authenticated, with rights to create the resources below), python3 with the
# project's requirements (make install), node_modules (firebase-tools) and npm for the web client.
# Secrets are never read from this repository: GEMINI_API_KEY, when set in the environment of
# this script, is stored as a new version of the gemini-api-key secret.
set -euo pipefail

cd "$(dirname "$0")"
PROJECT=""
REGION="europe-west1"
DRY_RUN=0
ONLY=""
CANARY=""
MODE="deploy"
SKIP_WEB=0
ALERT_EMAIL=""
ALERT_CHANNELS=()
WEB_ORIGINS=()
BACKUP_RETENTION_DAYS=30
DATABASE="(default)"
PY="${PYTHON:-.venv/bin/python}"
FIREBASE="${FIREBASE:-node_modules/.bin/firebase}"

# The header comment above, however long it grows.
usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --project) PROJECT="${2:-}"; shift 2 ;;
    --region) REGION="${2:-}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --only) ONLY="${2:-}"; shift 2 ;;
    --canary) CANARY="${2:-}"; shift 2 ;;
    --promote) MODE="promote"; shift ;;
    --rollback) MODE="rollback"; shift ;;
    --web-origin) WEB_ORIGINS+=("${2:-}"); shift 2 ;;
    --alert-email) ALERT_EMAIL="${2:-}"; shift 2 ;;
    --alert-channel) ALERT_CHANNELS+=("${2:-}"); shift 2 ;;
    --skip-web) SKIP_WEB=1; shift ;;
    --backup-retention-days) BACKUP_RETENTION_DAYS="${2:-}"; shift 2 ;;
    --database) DATABASE="${2:-}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done
[ -n "$PROJECT" ] || { echo "--project is required" >&2; exit 2; }
if [ -n "$CANARY" ] && ! [[ "$CANARY" =~ ^[0-9]+$ && "$CANARY" -ge 1 && "$CANARY" -le 99 ]]; then
  echo "--canary takes a percentage from 1 to 99" >&2; exit 2
fi
[[ "$BACKUP_RETENTION_DAYS" =~ ^[1-9][0-9]{0,3}$ ]] ||
  { echo "--backup-retention-days takes a number of days from 1 to 9999" >&2; exit 2; }
[[ "$DATABASE" = "(default)" || "$DATABASE" =~ ^[a-z][a-z0-9-]{2,61}[a-z0-9]$ ]] ||
  { echo "--database takes (default) or a database id (a-z, 0-9 and -, 4 to 63)" >&2; exit 2; }
for origin in "${WEB_ORIGINS[@]}"; do
  [[ "$origin" =~ ^https?://[^/,\;]+$ ]] || { echo "bad --web-origin: $origin" >&2; exit 2; }
done
for channel in "${ALERT_CHANNELS[@]}"; do
  [[ "$channel" =~ ^(projects/[a-z0-9-]+/notificationChannels/)?[0-9]+$ ]] ||
    { echo "bad --alert-channel: $channel" >&2; exit 2; }
done

run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

# "exists" checks run for real only outside a dry run; in a dry run everything looks missing,
# so the plan shows every create command (with DRY_RUN_EXISTING=1 everything looks present, so
# the plan shows every update command instead: tests/test_deploy.py checks both).
exists() {
  if [ "$DRY_RUN" = 1 ]; then [ "${DRY_RUN_EXISTING:-0}" = 1 ]; else "$@" >/dev/null 2>&1; fi
}

# A value read from Google Cloud, or a placeholder in a dry run.
lookup() {
  local placeholder="$1"; shift
  if [ "$DRY_RUN" = 1 ]; then echo "$placeholder"; else "$@"; fi
}

G=(gcloud --project="$PROJECT" --quiet)
SA_FUNCTIONS="peerprep-functions@${PROJECT}.iam.gserviceaccount.com"
SA_TASKS="peerprep-tasks@${PROJECT}.iam.gserviceaccount.com"
SA_PUSH="peerprep-push@${PROJECT}.iam.gserviceaccount.com"
SA_JOBS="peerprep-jobs@${PROJECT}.iam.gserviceaccount.com"
SA_SCHEDULER="peerprep-scheduler@${PROJECT}.iam.gserviceaccount.com"
SA_GATEWAY="peerprep-gateway@${PROJECT}.iam.gserviceaccount.com"
SA_RUNNER="peerprep-runner@${PROJECT}.iam.gserviceaccount.com"
TOPIC="match-requests"
DEAD_LETTER="${TOPIC}-dead-letter"
QUEUE="match-timeouts"
REPO="${REGION}-docker.pkg.dev/${PROJECT}/peerprep"

mapfile -t FUNCTIONS < <("$PY" -m tools.deploy_plan functions)

PROJECT_NUMBER="$(lookup 123456789012 "${G[@]}" projects describe "$PROJECT" \
  --format='value(projectNumber)')"
PUBSUB_AGENT="service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"

# A Cloud Run service's deterministic URL: internal callers use it, with OIDC tokens for it.
service_url() { echo "https://${1//_/-}-${PROJECT_NUMBER}.${REGION}.run.app"; }

selected() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

traffic() {  # route the traffic of every selected function's Cloud Run service
  local target="$1" line name service previous
  for line in "${FUNCTIONS[@]}"; do
    IFS=$'\t' read -r name _ _ service <<<"$line"
    selected "$name" || continue
    case "$target" in
      latest) run "${G[@]}" run services update-traffic "$service" --region="$REGION" \
        --to-latest ;;
      previous)
        previous="$(lookup PREVIOUS_REVISION "${G[@]}" run revisions list --service="$service" \
          --region="$REGION" --sort-by=~metadata.creationTimestamp \
          --format='value(metadata.name)' --limit=2 | tail -n 1)"
        run "${G[@]}" run services update-traffic "$service" --region="$REGION" \
          --to-revisions="${previous}=100" ;;
    esac
  done
}

case "$MODE" in
  promote) traffic latest; exit 0 ;;
  rollback) traffic previous; exit 0 ;;
esac

echo "== APIs"
run "${G[@]}" services enable cloudfunctions.googleapis.com run.googleapis.com \
  cloudbuild.googleapis.com artifactregistry.googleapis.com firestore.googleapis.com \
  pubsub.googleapis.com cloudtasks.googleapis.com secretmanager.googleapis.com \
  apigateway.googleapis.com servicemanagement.googleapis.com servicecontrol.googleapis.com \
  cloudscheduler.googleapis.com logging.googleapis.com monitoring.googleapis.com \
  cloudtrace.googleapis.com \
  identitytoolkit.googleapis.com firebase.googleapis.com firebasehosting.googleapis.com \
  iamcredentials.googleapis.com
# The Pub/Sub service agent forwards dead letters and signs push tokens: make sure it exists.
run "${G[@]}" beta services identity create --service=pubsub.googleapis.com

echo "== Firebase on the project (Auth, Hosting and the rules deploys need it)"
exists "$FIREBASE" apps:list --project="$PROJECT" --non-interactive ||
  run "$FIREBASE" projects:addfirebase "$PROJECT" --non-interactive

echo "== Firestore database ${DATABASE}"
if [ "$DATABASE" = "(default)" ]; then
  exists "${G[@]}" firestore databases describe --database='(default)' ||
    run "${G[@]}" firestore databases create --database='(default)' --location="$REGION" \
      --type=firestore-native
elif [ "$DRY_RUN" = 0 ] && ! exists "${G[@]}" firestore databases describe --database="$DATABASE"
then
  # Never point the product at a new, empty database by a typo: a named one comes from a restore.
  echo "--database ${DATABASE}: no such database (ops/restore.sh makes one)" >&2; exit 2
fi

echo "== backups: point-in-time recovery, and a daily export kept ${BACKUP_RETENTION_DAYS} days"
# PITR keeps every version of the last 7 days, readable and exportable at any minute of them;
# delete protection refuses a delete of the whole database until it is turned off.
run "${G[@]}" firestore databases update --database="$DATABASE" --enable-pitr --delete-protection
BACKUP_BUCKET="gs://${PROJECT}-firestore-backups"
SA_BACKUP="peerprep-backup@${PROJECT}.iam.gserviceaccount.com"
exists "${G[@]}" storage buckets describe "$BACKUP_BUCKET" ||
  run "${G[@]}" storage buckets create "$BACKUP_BUCKET" --location="$REGION" \
    --uniform-bucket-level-access --public-access-prevention
# The lifecycle rule deletes each export's files once they are 30 days old (N: a copy of it).
BACKUP_LIFECYCLE=ops/backup-lifecycle.json
if [ "$BACKUP_RETENTION_DAYS" != 30 ]; then
  BACKUP_LIFECYCLE="$(mktemp)"
  sed "s/\"age\": 30/\"age\": ${BACKUP_RETENTION_DAYS}/" ops/backup-lifecycle.json \
    >"$BACKUP_LIFECYCLE"
fi
run "${G[@]}" storage buckets update "$BACKUP_BUCKET" --lifecycle-file="$BACKUP_LIFECYCLE"
[ "$BACKUP_LIFECYCLE" = ops/backup-lifecycle.json ] || rm -f "$BACKUP_LIFECYCLE"
exists "${G[@]}" iam service-accounts describe "$SA_BACKUP" ||
  run "${G[@]}" iam service-accounts create peerprep-backup --display-name="PeerPrep backup"
# The export's account may start exports (and imports) and write this bucket, nothing else: the
# export checks storage.buckets.get, which objectAdmin lacks and legacyBucketReader has.
run "${G[@]}" projects add-iam-policy-binding "$PROJECT" \
  --member="serviceAccount:${SA_BACKUP}" --role=roles/datastore.importExportAdmin --condition=None
for role in roles/storage.objectAdmin roles/storage.legacyBucketReader; do
  run "${G[@]}" storage buckets add-iam-policy-binding "$BACKUP_BUCKET" \
    --member="serviceAccount:${SA_BACKUP}" --role="$role"
done
# Daily at 03:00 UTC, the Admin API's exportDocuments: with the bucket alone as the prefix, each
# export goes to a folder named after its start time (gs://BUCKET/2025-01-31T03:00:02_12345).
BACKUP_URI="https://firestore.googleapis.com/v1/projects/${PROJECT}/databases/${DATABASE}:exportDocuments"
BACKUP_JOB=(--location="$REGION" --schedule='0 3 * * *' --time-zone=Etc/UTC --uri="$BACKUP_URI"
  --http-method=POST --message-body="{\"outputUriPrefix\":\"${BACKUP_BUCKET}\"}"
  --oauth-service-account-email="$SA_BACKUP"
  --oauth-token-scope=https://www.googleapis.com/auth/datastore --max-retry-attempts=3)
if exists "${G[@]}" scheduler jobs describe firestore-daily-export --location="$REGION"; then
  run "${G[@]}" scheduler jobs update http firestore-daily-export "${BACKUP_JOB[@]}" \
    --update-headers=Content-Type=application/json
else
  run "${G[@]}" scheduler jobs create http firestore-daily-export "${BACKUP_JOB[@]}" \
    --headers=Content-Type=application/json
fi

echo "== service accounts, least privilege"
for sa in functions tasks push jobs scheduler gateway runner; do
  exists "${G[@]}" iam service-accounts describe \
    "peerprep-${sa}@${PROJECT}.iam.gserviceaccount.com" ||
    run "${G[@]}" iam service-accounts create "peerprep-${sa}" --display-name="PeerPrep ${sa}"
done
# cloudtrace.agent: the functions (and the jobs) send their spans to Cloud Trace.
for role in roles/datastore.user roles/firebaseauth.admin roles/logging.logWriter \
  roles/cloudtrace.agent; do
  run "${G[@]}" projects add-iam-policy-binding "$PROJECT" \
    --member="serviceAccount:${SA_FUNCTIONS}" --role="$role" --condition=None
done
# The functions enqueue tasks that carry the tasks account's OIDC token: they may act as it.
run "${G[@]}" iam service-accounts add-iam-policy-binding "$SA_TASKS" \
  --member="serviceAccount:${SA_FUNCTIONS}" --role=roles/iam.serviceAccountUser
for role in roles/datastore.user roles/firebaseauth.viewer roles/logging.logWriter \
  roles/cloudtrace.agent; do
  run "${G[@]}" projects add-iam-policy-binding "$PROJECT" \
    --member="serviceAccount:${SA_JOBS}" --role="$role" --condition=None
done
run "${G[@]}" projects add-iam-policy-binding "$PROJECT" \
  --member="serviceAccount:${SA_RUNNER}" --role=roles/logging.logWriter --condition=None

echo "== Pub/Sub: topic, dead-letter topic and the subscription that keeps dead letters"
for topic in "$TOPIC" "$DEAD_LETTER"; do
  exists "${G[@]}" pubsub topics describe "$topic" || run "${G[@]}" pubsub topics create "$topic"
done
exists "${G[@]}" pubsub subscriptions describe "$DEAD_LETTER" ||
  run "${G[@]}" pubsub subscriptions create "$DEAD_LETTER" --topic="$DEAD_LETTER" \
    --message-retention-duration=7d --expiration-period=never
# publish: the matching; viewer: /ready's pubsub.topics.get.
for role in roles/pubsub.publisher roles/pubsub.viewer; do
  run "${G[@]}" pubsub topics add-iam-policy-binding "$TOPIC" \
    --member="serviceAccount:${SA_FUNCTIONS}" --role="$role"
done
# The Pub/Sub service agent publishes what the worker never acknowledges to the dead-letter topic.
run "${G[@]}" pubsub topics add-iam-policy-binding "$DEAD_LETTER" \
  --member="serviceAccount:${PUBSUB_AGENT}" --role=roles/pubsub.publisher

echo "== Cloud Tasks queue"
if exists "${G[@]}" tasks queues describe "$QUEUE" --location="$REGION"; then
  run "${G[@]}" tasks queues update "$QUEUE" --location="$REGION" --max-attempts=20 \
    --min-backoff=1s --max-backoff=60s
else
  run "${G[@]}" tasks queues create "$QUEUE" --location="$REGION" --max-attempts=20 \
    --min-backoff=1s --max-backoff=60s
fi
# enqueuer: the match callbacks; viewer: /ready's cloudtasks.queues.get.
for role in roles/cloudtasks.enqueuer roles/cloudtasks.viewer; do
  run "${G[@]}" tasks queues add-iam-policy-binding "$QUEUE" --location="$REGION" \
    --member="serviceAccount:${SA_FUNCTIONS}" --role="$role"
done

echo "== secrets"
exists "${G[@]}" secrets describe gemini-api-key ||
  run "${G[@]}" secrets create gemini-api-key --replication-policy=automatic
run "${G[@]}" secrets add-iam-policy-binding gemini-api-key \
  --member="serviceAccount:${SA_FUNCTIONS}" --role=roles/secretmanager.secretAccessor
if [ -n "${GEMINI_API_KEY:-}" ]; then
  if [ "$DRY_RUN" = 1 ]; then
    echo "+ gcloud secrets versions add gemini-api-key --data-file=- (value from GEMINI_API_KEY)"
  else
    printf '%s' "$GEMINI_API_KEY" | "${G[@]}" secrets versions add gemini-api-key --data-file=-
  fi
fi
# --set-secrets …:latest fails while the secret has no version: mount it only once it has one.
HAS_KEY=1
if [ "$DRY_RUN" = 0 ] && [ -z "$("${G[@]}" secrets versions list gemini-api-key \
  --filter=state=ENABLED --limit=1 --format='value(name)' 2>/dev/null)" ]; then
  HAS_KEY=0
  echo "warning: gemini-api-key has no version: the AI functions deploy without it (503)" >&2
fi

echo "== functions"
MATCH_TIMEOUT_URL="$(service_url match_timeout)"
ORIGINS="https://${PROJECT}.web.app,https://${PROJECT}.firebaseapp.com"
for origin in "${WEB_ORIGINS[@]}"; do ORIGINS+=",${origin}"; done
# "^;^" makes ";" the separator, so that ALLOWED_ORIGINS may hold commas.
ENV_VARS="^;^GOOGLE_CLOUD_PROJECT=${PROJECT};TASKS_LOCATION=${REGION};ALLOWED_ORIGINS=${ORIGINS}"
ENV_VARS+=";MATCH_TIMEOUT_URL=${MATCH_TIMEOUT_URL};TASKS_AUDIENCE=${MATCH_TIMEOUT_URL}"
ENV_VARS+=";TASKS_SERVICE_ACCOUNT=${SA_TASKS};FIRESTORE_DATABASE=${DATABASE}"
for line in "${FUNCTIONS[@]}"; do
  IFS=$'\t' read -r name _ access service <<<"$line"
  selected "$name" || continue
  # A Cloud Run function (Functions Framework, Google's python311 base image), so that a canary
  # can be deployed with no traffic and under a tag.
  args=(run deploy "$service" --source=. --function="$name" --base-image=python311
    --region="$REGION" --service-account="$SA_FUNCTIONS" --set-env-vars="$ENV_VARS"
    --memory=512Mi --timeout=60s --max-instances=50)
  case "$access" in
    tasks|pubsub) args+=(--no-allow-unauthenticated) ;;  # reached only at its own URL, OIDC
    *) args+=(--allow-unauthenticated) ;;  # behind API Gateway; each checks the Firebase token
  esac
  case "$name" in
    ai_*) [ "$HAS_KEY" = 0 ] || args+=(--set-secrets=GEMINI_API_KEY=gemini-api-key:latest) ;;
  esac
  if [ -n "$CANARY" ] && { [ "$DRY_RUN" = 1 ] ||
    "${G[@]}" run services describe "$service" --region="$REGION" >/dev/null 2>&1; }; then
    # The new revision gets no traffic, then its share: the serving one keeps the rest. (A
    # service deployed for the first time has no revision to keep: it takes all the traffic.)
    run "${G[@]}" "${args[@]}" --no-traffic --tag=canary
    run "${G[@]}" run services update-traffic "$service" --region="$REGION" \
      --to-tags="canary=${CANARY}"
  else
    run "${G[@]}" "${args[@]}"
    run "${G[@]}" run services update-traffic "$service" --region="$REGION" --to-latest
  fi
  case "$access" in
    tasks) invoker="$SA_TASKS" ;;
    pubsub) invoker="$SA_PUSH" ;;
    *) invoker="" ;;
  esac
  [ -z "$invoker" ] || run "${G[@]}" run services add-iam-policy-binding "$service" \
    --region="$REGION" --member="serviceAccount:${invoker}" --role=roles/run.invoker
done

echo "== push subscription to the matching worker (ordered per bucket, dead letters kept)"
WORKER_URL="$(service_url match_worker)"
SUB=(--push-endpoint="$WORKER_URL" --push-auth-service-account="$SA_PUSH"
  --push-auth-token-audience="$WORKER_URL" --ack-deadline=60
  --dead-letter-topic="$DEAD_LETTER" --max-delivery-attempts=10
  --min-retry-delay=1s --max-retry-delay=60s)
if exists "${G[@]}" pubsub subscriptions describe match-worker; then
  run "${G[@]}" pubsub subscriptions update match-worker "${SUB[@]}"
else
  run "${G[@]}" pubsub subscriptions create match-worker --topic="$TOPIC" "${SUB[@]}"
fi
# The service agent acknowledges what it forwards to the dead-letter topic.
run "${G[@]}" pubsub subscriptions add-iam-policy-binding match-worker \
  --member="serviceAccount:${PUBSUB_AGENT}" --role=roles/pubsub.subscriber

echo "== code runner (Cloud Run, gen2 execution environment, only the functions may call it)"
exists "${G[@]}" artifacts repositories describe peerprep --location="$REGION" ||
  run "${G[@]}" artifacts repositories create peerprep --repository-format=docker \
    --location="$REGION"
RUNNER_URL="$(service_url peerprep_runner)"
if selected runner; then
  run "${G[@]}" builds submit . --config=runner/cloudbuild.yaml \
    --ignore-file=runner/build.gcloudignore --substitutions="_IMAGE=${REPO}/runner:latest"
  run "${G[@]}" run deploy peerprep-runner --image="${REPO}/runner:latest" --region="$REGION" \
    --execution-environment=gen2 --concurrency=1 --cpu=2 --memory=2Gi --timeout=300s \
    --no-allow-unauthenticated --service-account="$SA_RUNNER" \
    --set-env-vars="RUNNER_AUDIENCE=${RUNNER_URL},RUNNER_ALLOWED_INVOKERS=${SA_FUNCTIONS}"
  run "${G[@]}" run services add-iam-policy-binding peerprep-runner --region="$REGION" \
    --member="serviceAccount:${SA_FUNCTIONS}" --role=roles/run.invoker
fi

echo "== Cloud Run jobs and their schedules"
for job in "import-questions:jobs.import_questions:" "sweeper:jobs.sweeper:*/5 * * * *"; do
  IFS=: read -r jobname module schedule <<<"$job"
  run "${G[@]}" run jobs deploy "peerprep-${jobname}" --source=. --region="$REGION" \
    --service-account="$SA_JOBS" \
    --set-env-vars="GOOGLE_CLOUD_PROJECT=${PROJECT},FIRESTORE_DATABASE=${DATABASE}" \
    --command=python --args="-m,${module}" --max-retries=1 --task-timeout=600s
  if [ -n "$schedule" ]; then
    # The scheduler's own account may start this job, and nothing else.
    run "${G[@]}" run jobs add-iam-policy-binding "peerprep-${jobname}" --region="$REGION" \
      --member="serviceAccount:${SA_SCHEDULER}" --role=roles/run.invoker
    uri="https://run.googleapis.com/v2/projects/${PROJECT}/locations/${REGION}/jobs/peerprep-${jobname}:run"
    verb=create
    exists "${G[@]}" scheduler jobs describe "peerprep-${jobname}" --location="$REGION" && verb=update
    run "${G[@]}" scheduler jobs "$verb" http "peerprep-${jobname}" --location="$REGION" \
      --schedule="$schedule" --uri="$uri" --http-method=POST \
      --oauth-service-account-email="$SA_SCHEDULER"
  fi
done

echo "== Firestore rules and indexes (${DATABASE})"
FIRESTORE_CONFIG=firebase.deploy.json
if [ "$DATABASE" != "(default)" ]; then
  # The same config naming the database; beside firebase.deploy.json, whose paths are relative.
  FIRESTORE_CONFIG="firebase.deploy.${DATABASE}.json"
  "$PY" -c 'import json, sys
config = json.load(open("firebase.deploy.json"))
config["firestore"]["database"] = sys.argv[1]
json.dump(config, open(sys.argv[2], "w"), indent=2)' "$DATABASE" "$FIRESTORE_CONFIG"
fi
run "$FIREBASE" deploy --only=firestore:rules,firestore:indexes \
  --project="$PROJECT" --config="$FIRESTORE_CONFIG" --non-interactive
[ "$FIRESTORE_CONFIG" = firebase.deploy.json ] || rm -f "$FIRESTORE_CONFIG"

echo "== API Gateway (public routes only; Authorization passed through; CORS preflights)"
exists "${G[@]}" api-gateway apis describe peerprep || run "${G[@]}" api-gateway apis create peerprep
MANAGED_SERVICE="$(lookup "peerprep-0123456789abc.apigateway.${PROJECT}.cloud.goog" \
  "${G[@]}" api-gateway apis describe peerprep --format='value(managedService)')"
SPEC_DIR="$(mktemp -d)"
trap 'rm -rf "$SPEC_DIR"' EXIT
SPEC_FILE="${SPEC_DIR}/gateway.json"
"$PY" -m tools.deploy_plan gateway --project="$PROJECT" --region="$REGION" \
  --project-number="$PROJECT_NUMBER" --host="$MANAGED_SERVICE" >"$SPEC_FILE"
CONFIG="peerprep-$(sha256sum "$SPEC_FILE" | cut -c1-12)"
exists "${G[@]}" api-gateway api-configs describe "$CONFIG" --api=peerprep ||
  run "${G[@]}" api-gateway api-configs create "$CONFIG" --api=peerprep \
    --openapi-spec="$SPEC_FILE" --backend-auth-service-account="$SA_GATEWAY"
if exists "${G[@]}" api-gateway gateways describe peerprep-gateway --location="$REGION"; then
  run "${G[@]}" api-gateway gateways update peerprep-gateway --location="$REGION" \
    --api=peerprep --api-config="$CONFIG"
else
  run "${G[@]}" api-gateway gateways create peerprep-gateway --location="$REGION" \
    --api=peerprep --api-config="$CONFIG"
fi
GATEWAY_HOST="$(lookup "peerprep-gateway-0a1b2c3d.ew.gateway.dev" "${G[@]}" api-gateway gateways \
  describe peerprep-gateway --location="$REGION" --format='value(defaultHostname)')"

if [ "$SKIP_WEB" = 0 ]; then
  echo "== web client on Firebase Hosting"
  # The web app's Firebase config (apiKey, authDomain), read into the page's /config.json.
  SDK_FILE="${SPEC_DIR}/sdkconfig.json"
  if [ "$DRY_RUN" = 1 ]; then
    run "$FIREBASE" apps:create WEB peerprep-web --project="$PROJECT" --non-interactive
    run "$FIREBASE" apps:sdkconfig WEB --project="$PROJECT" --non-interactive --json
    echo '{"result":{"sdkConfig":{"apiKey":"API_KEY"}}}' >"$SDK_FILE"
  else
    "$FIREBASE" apps:sdkconfig WEB --project="$PROJECT" --non-interactive --json \
      >"$SDK_FILE" 2>/dev/null ||
      { "$FIREBASE" apps:create WEB peerprep-web --project="$PROJECT" --non-interactive &&
        "$FIREBASE" apps:sdkconfig WEB --project="$PROJECT" --non-interactive --json \
          >"$SDK_FILE"; }
  fi
  run npm --prefix=web run build
  run "$PY" -m tools.deploy_plan webconfig --project="$PROJECT" \
    --api-base-url="https://${GATEWAY_HOST}/api" --sdk-config="$SDK_FILE" \
    --firestore-database="$DATABASE" --out=web/dist/config.json
  run "$FIREBASE" deploy --only=hosting --project="$PROJECT" --config=firebase.deploy.json \
    --non-interactive
fi

echo "== log-based metrics, dashboards, SLOs and alerts (ops/)"
# A field of a JSON file, and a file rendered for this project (PROJECT_ID), compact, with an
# etag when one is given (the update of a dashboard carries the etag read just before).
json_field() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
render() {
  "$PY" -c 'import json, sys
doc = json.loads(open(sys.argv[1]).read().replace("PROJECT_ID", sys.argv[2]))
doc.update({"etag": sys.argv[3]} if sys.argv[3:] else {})
print(json.dumps(doc, separators=(",", ":")))' "$1" "$PROJECT" "${@:2}"
}
# Each metric is one file (a LogMetric: filter, labels, and for a distribution its value and
# buckets), named after the metric: the dashboards, SLOs and alerts read them.
for file in ops/metrics/*.json; do
  metric="$(basename "$file" .json)"
  if exists "${G[@]}" logging metrics describe "$metric"; then
    run "${G[@]}" logging metrics update "$metric" --config-from-file="$file"
  else
    run "${G[@]}" logging metrics create "$metric" --config-from-file="$file"
  fi
done
# Dashboards, found again by their display name; an update carries the etag just read, so it
# fails rather than overwrites when someone changed the dashboard meanwhile (run it again).
for file in ops/dashboards/*.json; do
  placeholder=""
  [ "${DRY_RUN_EXISTING:-0}" = 0 ] || placeholder="projects/${PROJECT_NUMBER}/dashboards/ID"$'\t'ETAG
  found="$(lookup "$placeholder" "${G[@]}" monitoring dashboards list \
    --filter="displayName=\"$(json_field "$file" displayName)\"" --format='value(name,etag)' \
    --limit=1)"
  if [ -z "$found" ]; then
    run "${G[@]}" monitoring dashboards create --config-from-file="$file"
  else
    IFS=$'\t' read -r dashboard etag <<<"$found"
    run "${G[@]}" monitoring dashboards update "$dashboard" --config="$(render "$file" "$etag")"
  fi
done
# SLOs: a custom service "peerprep" and its objectives (ops/slos/ID.json). gcloud has no command
# for them: the Monitoring API's REST calls, with the caller's token in a header read from a
# file descriptor, never on a command line.
monitoring_api() {  # METHOD PATH [JSON_FILE]
  local call=(curl --silent --show-error --fail-with-body --request "$1"
    "https://monitoring.googleapis.com/v3/projects/${PROJECT}/$2")
  [ -z "${3:-}" ] || call+=(--header "Content-Type: application/json" --data-binary "@$3")
  if [ "$DRY_RUN" = 1 ]; then
    run "${call[@]}" --header "Authorization: Bearer ACCESS_TOKEN"
  else
    "${call[@]}" --header @<(printf 'Authorization: Bearer %s\n' \
      "$("${G[@]}" auth print-access-token)") >/dev/null
  fi
}
monitoring_exists() {
  if [ "$DRY_RUN" = 1 ]; then [ "${DRY_RUN_EXISTING:-0}" = 1 ]
  else monitoring_api GET "$1" 2>/dev/null; fi
}
if monitoring_exists services/peerprep; then
  monitoring_api PATCH services/peerprep ops/slos/service.json
else
  monitoring_api POST 'services?serviceId=peerprep' ops/slos/service.json
fi
for file in ops/slos/*.json; do
  slo="$(basename "$file" .json)"
  [ "$slo" != service ] || continue
  if monitoring_exists "services/peerprep/serviceLevelObjectives/${slo}"; then
    monitoring_api PATCH "services/peerprep/serviceLevelObjectives/${slo}" "$file"
  else
    monitoring_api POST "services/peerprep/serviceLevelObjectives?serviceLevelObjectiveId=${slo}" \
      "$file"
  fi
done
# Notification channels, attached to every policy: --alert-email's (created when missing) and
# each --alert-channel (one made beforehand: PagerDuty, Slack, SMS, a webhook...).
CHANNELS=()
for channel in "${ALERT_CHANNELS[@]}"; do
  [[ "$channel" == projects/* ]] || channel="projects/${PROJECT}/notificationChannels/${channel}"
  CHANNELS+=("$channel")
done
if [ -n "$ALERT_EMAIL" ]; then
  channel="$(lookup "projects/${PROJECT}/notificationChannels/CHANNEL_ID" "${G[@]}" beta \
    monitoring channels list --filter="labels.email_address=\"${ALERT_EMAIL}\"" \
    --format='value(name)' --limit=1)"
  if [ -z "$channel" ] || [ "$DRY_RUN" = 1 ]; then
    run "${G[@]}" beta monitoring channels create --display-name="PeerPrep on-call" \
      --type=email --channel-labels="email_address=${ALERT_EMAIL}"
    [ "$DRY_RUN" = 1 ] || channel="$("${G[@]}" beta monitoring channels list \
      --filter="labels.email_address=\"${ALERT_EMAIL}\"" --format='value(name)' --limit=1)"
  fi
  CHANNELS+=("$channel")
fi
CHANNEL=()
CHANNEL_UPDATE=()
if [ "${#CHANNELS[@]}" -gt 0 ]; then
  CHANNEL=(--notification-channels="$(IFS=,; echo "${CHANNELS[*]}")")
  CHANNEL_UPDATE=(--set-notification-channels="$(IFS=,; echo "${CHANNELS[*]}")")
fi
# Alert policies, each found again by its exact display name: the thresholds
# (ops/alert-policies.json) and the SLOs' fast and slow burn rates (ops/slo-alerts/, which name
# their SLO with PROJECT_ID: rendered for this project).
for file in ops/alert-policies.json ops/slo-alerts/*.json; do
  placeholder=""
  [ "${DRY_RUN_EXISTING:-0}" = 0 ] || placeholder="projects/${PROJECT}/alertPolicies/POLICY_ID"
  policy="$(lookup "$placeholder" "${G[@]}" alpha monitoring policies list \
    --filter="displayName=\"$(json_field "$file" displayName)\"" --format='value(name)' \
    --limit=1)"
  if grep -q PROJECT_ID "$file"; then
    source=(--policy="$(render "$file")")
  else
    source=(--policy-from-file="$file")
  fi
  if [ -z "$policy" ]; then
    run "${G[@]}" alpha monitoring policies create "${source[@]}" "${CHANNEL[@]}"
  else
    run "${G[@]}" alpha monitoring policies update "$policy" "${source[@]}" \
      "${CHANNEL_UPDATE[@]}"
  fi
done

echo "== done${CANARY:+ (canary at ${CANARY}%: --promote when healthy, --rollback if not)}"
echo "API: https://${GATEWAY_HOST}/api   web: https://${PROJECT}.web.app"
