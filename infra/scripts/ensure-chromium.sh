#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through playwright-core; nothing is
# downloaded at run time. Installs the package when it is missing and we may.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  exit 0
fi
echo "ensure-chromium: /usr/bin/chromium is missing; install Debian's 'chromium' package (browser tests need it)" >&2
exit 1
