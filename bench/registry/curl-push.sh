#!/bin/sh
# The peer of `enarx package publish` in bench/registry.bench.ts: one blob pushed with plain curl,
# as distribution-spec "Pushing a blob monolithically" says: POST /v2/<repo>/blobs/uploads/
# (202, Location), then PUT <location>&digest=<digest> with the whole file as the body (201).
# usage: curl-push.sh BASE_URL REPO FILE DIGEST
set -eu
base=$1 repo=$2 file=$3 digest=$4
location=$(curl -fsS -X POST -o /dev/null -D - "$base/v2/$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll][Oo][Cc][Aa][Tt][Ii][Oo][Nn]: *//p')
[ -n "$location" ] || { echo "curl-push.sh: the registry gave no Location" >&2; exit 1; }
case $location in
  http://* | https://*) ;;
  *) location=$base$location ;;
esac
case $location in
  *\?*) location="$location&digest=$digest" ;;
  *) location="$location?digest=$digest" ;;
esac
curl -fsS -T "$file" -H 'Content-Type: application/octet-stream' -o /dev/null "$location"
