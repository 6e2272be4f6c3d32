# Multi-stage build of a static, non-root forwarder image.
#
#   docker build -t forwarder --build-arg VERSION=v1.0.0 --build-arg COMMIT=$(git rev-parse HEAD) .
#   docker run --rm -v $PWD/examples/quickstart.hcl:/etc/forwarder/quickstart.hcl:ro forwarder
#
# scripts/test.sh runs the `go build` step below itself (read from this file)
# in CI and checks that the binary is static and stamped, so a change that
# breaks the image's build fails there first.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=""
ARG DATE=""
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /out/forwarder ./cmd/forwarder \
 && mkdir -p /out/state /out/config

# distroless/static: CA certificates, tzdata and a nonroot user (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/forwarder /usr/local/bin/forwarder
# /etc/forwarder holds the configuration (mount a directory: reloads follow
# its changes); /var/lib/forwarder is for file sinks such as dead letters.
COPY --from=build --chown=65532:65532 /out/config /etc/forwarder
COPY --from=build --chown=65532:65532 /out/state /var/lib/forwarder
USER 65532:65532
# The admin server (/metrics, /health, POST /-/reload) listens on loopback
# unless told otherwise; in a container it must be reachable for probes.
EXPOSE 9598
ENTRYPOINT ["/usr/local/bin/forwarder"]
CMD ["run", "--admin=:9598", "--log-format=json", "/etc/forwarder"]
