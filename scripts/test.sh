#!/usr/bin/env bash
# Runs every check and test. Installs what the tests need when it is missing:
# rsyslog with its TLS drivers (the syslog sink is tested against the real
# daemon) and Node.js with npm from Debian's packages, and the npm package
# nsyslog-parser (an independent CEF parser for the syslog tests, pinned in
# sinks/syslog/testdata/nsyslog/package-lock.json). Go modules come from the
# module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || need_pkgs+=(rsyslog)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || need_pkgs+=(rsyslog-gnutls)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so ] || ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 || need_pkgs+=(rsyslog-openssl)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || need_pkgs+=(npm)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing: ${need_pkgs[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
fi

nsyslog=sinks/syslog/testdata/nsyslog
if [ ! -d "$nsyslog/node_modules/nsyslog-parser" ]; then
  echo "installing: nsyslog-parser (npm ci in $nsyslog)"
  npm ci --prefix "$nsyslog" --no-audit --no-fund --loglevel=error
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
echo "== go vet"
go vet ./...
echo "== forwarder fmt --check examples"
go run ./cmd/forwarder fmt --check examples
echo "== go test -race"
go test -race -timeout 45m ./...
