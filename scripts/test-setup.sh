#!/bin/sh
# Runs before `npm test` (npm's pretest): installs what the tests need beside the npm packages, on a
# Debian or Ubuntu machine, when it is missing. Elsewhere it says what to install and stops.
#   redis-server   the Redis store's contract tests and the deployment rehearsal start their own
#   chromium       the console's browser test (playwright-core drives it; no browser is downloaded)
#   python3, openjdk-17-jdk-headless
#                  the README's webhook receivers in Python and Java, run against the local sweeper
set -eu

missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jdk-headless"
[ -z "$missing" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "npm test: installing$missing (apt-get)"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
  exit 0
fi

echo "npm test needs:$missing. Install it and run npm test again" >&2
echo "  (macOS: brew install redis python openjdk@17, and Chromium at /usr/bin/chromium; elsewhere" >&2
echo "  your package manager's redis, chromium, python3 and JDK 17 packages)." >&2
exit 1
