#!/usr/bin/env bash
# Runs every check and test. Installs what the tests need when it is missing:
# rsyslog with its TLS drivers (the syslog sink is tested against the real
# daemon), Node.js with npm, python3-snappy (an independent snappy decoder
# for the object_store sink's tests) and promtool from Debian's packages; the
# npm package nsyslog-parser (an independent CEF parser for the syslog tests,
# pinned in sinks/syslog/testdata/nsyslog/package-lock.json); versitygw, the
# real S3-compatible server the object_store sink is tested against, with
# `go install` (about 2.5 minutes on two cores). Go modules come from the
# module proxy.
# The file sink's disk-full test mounts a small tmpfs, so run as root (CI
# does); under CI=true it fails rather than skips without root.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || need_pkgs+=(rsyslog)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || need_pkgs+=(rsyslog-gnutls)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so ] || ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 || need_pkgs+=(rsyslog-openssl)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus) # promtool: alerting rules checks
command -v systemd-analyze >/dev/null 2>&1 || need_pkgs+=(systemd)
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || need_pkgs+=(npm)
command -v zstd >/dev/null 2>&1 || need_pkgs+=(zstd)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import snappy' >/dev/null 2>&1 || need_pkgs+=(python3 python3-snappy)
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
if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$(go env GOPATH)/bin/versitygw" ]; then
  echo "installing: versitygw (go install)"
  go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
echo "== go vet"
go vet ./...
# event has an amd64 assembly kernel; vet the portable build beside it.
GOARCH=arm64 go vet ./event
go vet -tags purego ./event
echo "== staticcheck (pinned; the module proxy serves it)"
go run honnef.co/go/tools/cmd/staticcheck@v0.6.1 ./...
echo "== import walls (internal/walls)"
go test -count=1 ./internal/walls
echo "== generated references are current (go generate ./internal/gendocs)"
go generate ./internal/gendocs
if ! git diff --exit-code -- docs/configuration.md docs/metrics.md; then
  echo "docs/configuration.md or docs/metrics.md is stale: run go generate ./internal/gendocs and commit"
  exit 1
fi
echo "== forwarder fmt --check examples"
example_dirs=()
for d in examples/*/; do ls "$d"*.hcl >/dev/null 2>&1 && example_dirs+=("$d"); done
go run ./cmd/forwarder fmt --check examples
echo "== promtool check rules examples/monitoring/alerts.yml"
promtool check rules examples/monitoring/alerts.yml
echo "== static binary (as the Dockerfile builds it), with -ldflags version stamping"
bin_dir=$(mktemp -d)
trap 'rm -rf "$bin_dir"' EXIT
# The Dockerfile's own build command, run here with a version stamp.
build_cmd=$(sed -n '/^RUN CGO_ENABLED=0 go build/,/-o \/out\/forwarder/p' Dockerfile | sed -e 's/^RUN //' -e 's/\\$//' | tr -s ' \n' ' ')
[ -n "$build_cmd" ] || { echo "Dockerfile: no 'RUN CGO_ENABLED=0 go build … -o /out/forwarder' step"; exit 1; }
VERSION=ci-static COMMIT=0000000000000000 DATE=2026-01-01T00:00:00Z
eval "${build_cmd//\/out\/forwarder/$bin_dir/forwarder}"
go version -m "$bin_dir/forwarder" | grep -q 'CGO_ENABLED=0' || { echo "forwarder binary is not static"; exit 1; }
"$bin_dir/forwarder" --version | grep -q '^forwarder ci-static (commit 000000000000, built 2026-01-01T00:00:00Z' || { echo "-ldflags -X main.version/main.commit not applied"; exit 1; }
echo "== deploy/systemd/forwarder.service (systemd-analyze verify, security)"
sed "s|/usr/local/bin/forwarder|$bin_dir/forwarder|" deploy/systemd/forwarder.service > "$bin_dir/forwarder.service"
verify_out=$(systemd-analyze verify "$bin_dir/forwarder.service" 2>&1 || true)
if [ -n "$verify_out" ]; then echo "$verify_out"; exit 1; fi
systemd-analyze security --offline=true --threshold=20 "$bin_dir/forwarder.service" >/dev/null
echo "== goreleaser check"
# Building goreleaser takes minutes (about 9 on a busy 2-core machine): it is
# installed once (go install, pinned) under CI=true or FORWARDER_GORELEASER=1,
# and used when present.
if ! command -v goreleaser >/dev/null 2>&1 && [ ! -x "$(go env GOPATH)/bin/goreleaser" ]; then
  if [ "${CI:-}" = true ] || [ "${FORWARDER_GORELEASER:-}" = 1 ]; then
    echo "installing: goreleaser v2.15.1 (go install)"
    go install github.com/goreleaser/goreleaser/v2@v2.15.1
  fi
fi
if command -v goreleaser >/dev/null 2>&1 || [ -x "$(go env GOPATH)/bin/goreleaser" ]; then
  PATH="$PATH:$(go env GOPATH)/bin" goreleaser check
else
  echo "skipped: goreleaser is not installed (outside CI; FORWARDER_GORELEASER=1 installs it)"
fi
echo "== forwarder validate and test, every example"
for ex in examples/*.hcl "${example_dirs[@]}"; do
  "$bin_dir/forwarder" validate "$ex"
  "$bin_dir/forwarder" test "$ex"
done
echo "== go test -race"
go test -race -timeout 45m ./...
# Every fuzz target runs briefly on top of its committed seed corpus
# (testdata/fuzz/NAME), which the plain `go test` above already replays.
# The budget is a count of executions ("20000x"), not a duration: with a
# duration, Go's fuzz coordinator can report "context deadline exceeded" as a
# failure when -fuzztime expires while a worker is mid-call on a loaded
# machine (go.dev/issue/75804, fixed only in Go 1.27). A count has no
# deadline to race, so a red fuzz step always means a real finding.
# FUZZTIME=0 skips this step; FUZZTIME=30s still works for a local hunt.
fuzztime="${FUZZTIME:-20000x}"
if [ "$fuzztime" != "0" ]; then
  echo "== fuzz ($fuzztime per target)"
  # FuzzExprErrorPosition is left out of this timed step: some generated
  # expressions make expr-lang's compiler stall for seconds, and the fuzzer
  # then reports a deadline instead of a finding. Its seed corpus still runs
  # in `go test` above; run it by hand with a longer -fuzztime.
  skip=" FuzzExprErrorPosition "
  while IFS=: read -r file _ decl; do
    name="${decl#func }"; name="${name%%(*}"
    case "$skip" in *" $name "*) echo "-- $name: left out (see above)"; continue ;; esac
    echo "-- $name ./$(dirname "$file")"
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "./$(dirname "$file")"
  done < <(grep -rn --include='*_test.go' '^func Fuzz' . | sed 's|^\./||' | sort)
fi
