#!/usr/bin/env bash
# Restore PeerPrep's Firestore into a NEW database, verify it, and print how to switch to it.
# The live database is never written: the switch is a separate, deliberate step.
#
#   ops/restore.sh --project P --database NEW_DB --from gs://P-firestore-backups/EXPORT
#   ops/restore.sh --project P --database NEW_DB --snapshot-time 2025-01-31T09:41:00Z
#                  [--region europe-west1] [--dry-run]
#
#   --from URI            a daily export (gsutil ls gs://P-firestore-backups/ lists them)
#   --snapshot-time T     point-in-time recovery instead: export the live database as it was at T
#                         (UTC, whole minutes, within the last 7 days), then restore that export
#   --database NEW_DB     the database to create and fill (4-63 of a-z 0-9 -, a letter first)
#   --dry-run             print every command instead of running it (calls nothing)
#
# Needs: gcloud (authenticated: datastore.importExportAdmin and datastore.owner, or Owner) and
# python3 with the project's requirements (the verification, python -m jobs.verify_restore).
set -euo pipefail

cd "$(dirname "$0")/.."
PROJECT=""
REGION="europe-west1"
FROM=""
SNAPSHOT_TIME=""
DATABASE=""
DRY_RUN=0
PY="${PYTHON:-.venv/bin/python}"

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --project) PROJECT="${2:-}"; shift 2 ;;
    --region) REGION="${2:-}"; shift 2 ;;
    --from) FROM="${2:-}"; shift 2 ;;
    --snapshot-time) SNAPSHOT_TIME="${2:-}"; shift 2 ;;
    --database) DATABASE="${2:-}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done
[ -n "$PROJECT" ] || { echo "--project is required" >&2; exit 2; }
[[ "$DATABASE" =~ ^[a-z][a-z0-9-]{2,61}[a-z0-9]$ ]] ||
  { echo "--database names a new database: 4-63 of a-z, 0-9 and -, a letter first" >&2; exit 2; }
if { [ -n "$FROM" ] && [ -n "$SNAPSHOT_TIME" ]; } || { [ -z "$FROM" ] && [ -z "$SNAPSHOT_TIME" ]; }
then
  echo "give one of --from gs://… and --snapshot-time T" >&2; exit 2
fi
[ -z "$FROM" ] || [[ "$FROM" =~ ^gs://[a-z0-9._-]+(/[^[:space:]]*)?$ ]] ||
  { echo "--from takes a gs:// URI of an export, got: $FROM" >&2; exit 2; }
[ -z "$SNAPSHOT_TIME" ] || [[ "$SNAPSHOT_TIME" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:00)?Z$ ]] ||
  { echo "--snapshot-time takes a UTC minute, like 2025-01-31T09:41:00Z" >&2; exit 2; }

run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

G=(gcloud --project="$PROJECT" --quiet)
BUCKET="gs://${PROJECT}-firestore-backups"

if [ -n "$SNAPSHOT_TIME" ]; then
  echo "== point-in-time: export the live database as it was at ${SNAPSHOT_TIME}"
  FROM="${BUCKET}/pitr-${SNAPSHOT_TIME//:/-}"
  run "${G[@]}" firestore export "$FROM" --database='(default)' --snapshot-time="$SNAPSHOT_TIME"
fi

echo "== create the database ${DATABASE} (${REGION}) and import ${FROM} into it"
if [ "$DRY_RUN" = 0 ] &&
  "${G[@]}" firestore databases describe --database="$DATABASE" >/dev/null 2>&1; then
  echo "${DATABASE} exists: importing into it again (documents of the export are overwritten)"
else
  run "${G[@]}" firestore databases create --database="$DATABASE" --location="$REGION" \
    --type=firestore-native
fi
run "${G[@]}" firestore import "$FROM" --database="$DATABASE"

echo "== verify: documents of each collection, restored and live"
run env GOOGLE_CLOUD_PROJECT="$PROJECT" "$PY" -m jobs.verify_restore --database="$DATABASE" \
  --against='(default)'

cat <<EOT
== switch, once the counts above look right (nothing below has run)
Either copy the restored documents back into the live database, in place (documents written
since the backup and absent from it are kept):
  gcloud --project=${PROJECT} firestore import ${FROM} --database='(default)'
or switch the whole product to ${DATABASE}: the functions' and jobs' environment, the web
client's config, the rules and indexes, point-in-time recovery and the daily export (and keep
passing --database to every later deploy):
  ./deploy.sh --project ${PROJECT} --region ${REGION} --database ${DATABASE}
Leave ${DATABASE} in place until the switch is checked; then delete it:
  gcloud --project=${PROJECT} firestore databases delete --database=${DATABASE}
EOT
