#!/usr/bin/env bash
# Builds the demo app's images FROM scratch, with the `web` binary and the shared libraries it
# links (no registry can be reached, so nothing is pulled): rollplay-demo/web:1.0.0 and :1.1.0,
# and staged bad releases whose environment says how they fail (the simulator's profile keys):
#   :1.2.0-unhealthy  READY=false (the health check on /ready never passes)
#   :1.2.0-crash      CRASH_AFTER_SECONDS=5
#   :1.2.0-slow       STARTUP_SECONDS=30
#   :1.2.0-errors     ERROR_RATE=0.05
# Usage: examples/app/build-images.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=debug
if [ "${1:-}" = "--release" ]; then profile=release; fi
cargo build --locked --quiet -p rollplay-demo-app --bin web $([ "$profile" = release ] && echo --release)
binary="target/$profile/web"

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs"
cp "$binary" "$context/rootfs/web"
# The dynamic loader and every library `ldd` lists, at the paths the binary looks for them.
ldd "$binary" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
  mkdir -p "$context/rootfs$(dirname "$lib")"
  cp -L "$lib" "$context/rootfs$lib"
done

build() {
  local tag="$1"; shift
  {
    echo "FROM scratch"
    echo "COPY rootfs/ /"
    echo "ENV VERSION=${tag#*:}"
    for kv in "$@"; do echo "ENV $kv"; done
    echo "EXPOSE 8080"
    echo 'HEALTHCHECK --interval=1s --timeout=1s --retries=3 CMD ["/web", "probe", "/ready"]'
    echo 'ENTRYPOINT ["/web"]'
  } > "$context/Dockerfile"
  if ! DOCKER_BUILDKIT=0 docker build --quiet -t "$tag" "$context" >"$context/build.log" 2>&1; then
    cat "$context/build.log" >&2
    exit 1
  fi
  echo "built $tag"
}

build rollplay-demo/web:1.0.0
build rollplay-demo/web:1.1.0
build rollplay-demo/web:1.2.0-unhealthy READY=false
build rollplay-demo/web:1.2.0-crash CRASH_AFTER_SECONDS=5
build rollplay-demo/web:1.2.0-slow STARTUP_SECONDS=30
build rollplay-demo/web:1.2.0-errors ERROR_RATE=0.05
