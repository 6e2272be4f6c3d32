#!/usr/bin/env bash
# Runs every check and test. Installs what the tests need when it is missing:
# rsyslog with its TLS drivers (the syslog sink is tested against the real
# daemon) from Debian's packages. Go modules come from the module proxy.
# The file sink's disk-full test mounts a small tmpfs, so run as root (CI
# does); under CI=true it fails rather than skips without root.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || need_pkgs+=(rsyslog)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || need_pkgs+=(rsyslog-gnutls)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so ] || ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 || need_pkgs+=(rsyslog-openssl)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing: ${need_pkgs[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
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
# Every fuzz target runs briefly on top of its committed seed corpus
# (testdata/fuzz/NAME), which the plain `go test` above already replays.
# FUZZTIME=0 skips this step.
fuzztime="${FUZZTIME:-10s}"
if [ "$fuzztime" != "0" ]; then
  echo "== fuzz ($fuzztime per target)"
  while IFS=: read -r file _ decl; do
    name="${decl#func }"; name="${name%%(*}"
    echo "-- $name ./$(dirname "$file")"
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "./$(dirname "$file")"
  done < <(grep -rn --include='*_test.go' '^func Fuzz' . | sed 's|^\./||' | sort)
fi
