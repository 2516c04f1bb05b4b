#!/bin/sh
# pg_dump of HCP_DATABASE_URL into DIR (custom format), keeping the newest KEEP dumps.
# Restore test (do it monthly, on another host):
#   createdb hcp_restore && pg_restore --no-owner -d hcp_restore DIR/hcp-YYYYmmdd-HHMM.dump
#   HCP_DATABASE_URL=postgresql:///hcp_restore flask --app app init-db   # "Schema is up to date."
set -eu
dir=${1:?usage: backup.sh DIR KEEP}
keep=${2:-14}
: "${HCP_DATABASE_URL:?HCP_DATABASE_URL is not set}"
mkdir -p "$dir"
file="$dir/hcp-$(date +%Y%m%d-%H%M).dump"
pg_dump --format=custom --no-owner --file="$file.part" "$HCP_DATABASE_URL"
mv "$file.part" "$file"
pg_restore --list "$file" >/dev/null   # the dump is readable
ls -1t "$dir"/hcp-*.dump | tail -n +"$((keep + 1))" | xargs -r rm --
echo "backup written: $file"
