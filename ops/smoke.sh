#!/usr/bin/env bash
# A deployed project answers: through the gateway (health, readiness, a signed-in route refused
# without a token, a CORS preflight from the Hosting origin), or with --tag canary each public
# function's canary revision at its tag URL.
#
#   ops/smoke.sh --project P [--region R] [--tag canary]
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT=""
REGION="europe-west1"
TAG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --project) PROJECT="${2:-}"; shift 2 ;;
    --region) REGION="${2:-}"; shift 2 ;;
    --tag) TAG="${2:-}"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[ -n "$PROJECT" ] || { echo "--project is required" >&2; exit 2; }
G=(gcloud --project="$PROJECT" --quiet)

expect() {  # expect STATUS CURL-ARGS...: the request answers STATUS, else fail
  local want="$1" got; shift
  got="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 "$@")"
  echo "${got} ${*: -1}"
  [ "$got" = "$want" ] || { echo "expected ${want}" >&2; exit 1; }
}

if [ -n "$TAG" ]; then
  for service in health ready; do
    url="$("${G[@]}" run services describe "$service" --region="$REGION" --format=json |
      python3 -c 'import json, sys
tag = sys.argv[1]
print(next(t["url"] for t in json.load(sys.stdin)["status"]["traffic"] if t.get("tag") == tag))' "$TAG")"
    expect 200 "${url}/api/${service}"
  done
  exit 0
fi

host="$("${G[@]}" api-gateway gateways describe peerprep-gateway --location="$REGION" \
  --format='value(defaultHostname)')"
api="https://${host}/api"
expect 200 "${api}/health"
expect 200 "${api}/ready"
expect 401 "${api}/users/me"
expect 204 -X OPTIONS -H "Origin: https://${PROJECT}.web.app" \
  -H "Access-Control-Request-Method: DELETE" \
  -H "Access-Control-Request-Headers: authorization,content-type" "${api}/match"
