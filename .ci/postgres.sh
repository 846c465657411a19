#!/usr/bin/env bash
# Makes a PostgreSQL server answer on 127.0.0.1:5432 for the --guard-db tests
# (src/db/, tests/pg_*_test.ts connect as user postgres, database postgres,
# without a password). Does nothing when one already answers; otherwise starts
# the installed cluster, or installs PostgreSQL with apt-get first and lets
# user postgres in from 127.0.0.1 without a password (that fresh cluster only).
set -euo pipefail

answers() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
answers && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
fresh=0
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  if ! command -v apt-get >/dev/null; then
    echo ".ci/postgres.sh: no PostgreSQL and no apt-get to install it" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  fresh=1
fi
ver=$(ls /etc/postgresql | sort -V | tail -n 1)
if [ "$fresh" = 1 ]; then
  hba="/etc/postgresql/$ver/main/pg_hba.conf"
  $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
fi
$SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
[ "$fresh" = 1 ] && { $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true; }
for _ in $(seq 60); do
  answers && exit 0
  sleep 0.5
done
echo ".ci/postgres.sh: PostgreSQL $ver did not come up on 127.0.0.1:5432" >&2
exit 1
