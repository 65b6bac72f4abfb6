#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright's Python package (never a
# downloaded browser). Install Chromium when it is missing and we may (root); on CI a missing
# browser is a failure, elsewhere the browser tests skip with the reason.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the browser tests"
  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || true
fi
if ! command -v chromium >/dev/null 2>&1 && [ "${CI:-}" = "true" ]; then
  echo "CI=true: the browser tests need Chromium (apt-get install chromium)" >&2
  exit 1
fi
exit 0
