#!/usr/bin/env bash
# Runs every check and test. Installs what the tests need when it is missing:
# rsyslog with its TLS drivers (the syslog sink is tested against the real
# daemon) and python3-snappy (an independent snappy decoder for the
# object_store sink's tests) from Debian's packages; versitygw, the real
# S3-compatible server the object_store sink is tested against, with
# `go install` (about 2.5 minutes on two cores). Go modules come from the
# module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || need_pkgs+=(rsyslog)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || need_pkgs+=(rsyslog-gnutls)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so ] || ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 || need_pkgs+=(rsyslog-openssl)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
command -v zstd >/dev/null 2>&1 || need_pkgs+=(zstd)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import snappy' >/dev/null 2>&1 || need_pkgs+=(python3 python3-snappy)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing: ${need_pkgs[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
fi

if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$(go env GOPATH)/bin/versitygw" ]; then
  echo "installing: versitygw (go install)"
  go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
echo "== go vet"
go vet ./...
echo "== forwarder fmt --check examples"
go run ./cmd/forwarder fmt --check examples examples/*/
echo "== go test -race"
go test -race -timeout 45m ./...
