#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis servers the tests use are up; start them when they are
# installed but stopped. On CI (CI=true) a service that cannot be reached fails the run.
set -u
PG_HOST=${WA_CRM_TEST_PG_HOST:-127.0.0.1}
failed=0

if ! pg_isready -q -h "$PG_HOST" -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p 5432 && break; sleep 0.5; done
  fi
  pg_isready -q -h "$PG_HOST" -p 5432 2>/dev/null || { echo "PostgreSQL is not reachable on $PG_HOST:5432"; failed=1; }
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    echo "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 1 20); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.25; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Redis is not reachable on 127.0.0.1:6379"; failed=1; }
fi

if [ "$failed" = 1 ] && [ "${CI:-}" = "true" ]; then
  echo "CI=true: the tests need PostgreSQL and Redis; failing instead of skipping them" >&2
  exit 1
fi
exit 0
