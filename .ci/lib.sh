# Shared by ./run and ./test: install what is missing (idempotent) and build the client.
# Sourced, not run. Nothing here assumes anything installed by hand.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

stage_start() { STAGE_NAME="$1"; STAGE_T0=$(date +%s); echo "==> $1"; }
stage_end() { echo "<== $STAGE_NAME: $(( $(date +%s) - STAGE_T0 ))s"; }

ensure_wasm_target() {
  # clippy-driver lints while ./test builds (see with_clippy); rustfmt for the format check.
  for c in clippy rustfmt; do
    rustup component list --installed | grep -q "^$c" || rustup component add "$c"
  done
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
}

# wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' "$ROOT/Cargo.lock")
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

# npm packages (binaryen's wasm-opt, playwright-core, the automerge-repo peers) live in tests/.
ensure_npm() {
  if [ ! -x "$ROOT/tests/node_modules/.bin/wasm-opt" ] || [ "$ROOT/tests/package-lock.json" -nt "$ROOT/tests/node_modules/.package-lock.json" ]; then
    # `npm install`, not `npm ci`: npm 11 rejects its own lock for cbor-extract's optional platform packages;
    # install honours the committed lock and leaves it unchanged.
    (cd "$ROOT/tests" && npm install --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  # A CJK font too, so zh-CN text in screenshots is not boxes.
  # certutil (libnss3-tools): the HTTPS browser test trusts its generated CA in a throwaway NSS database.
  if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/wqy ] || [ ! -x /usr/bin/certutil ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-wqy-microhei libnss3-tools >/dev/null
  fi
}

# Runs a cargo build with clippy's lints (as errors) on the workspace's own crates: what `cargo clippy -- -D
# warnings` checks, while compiling for real (cargo clippy sets the same two variables for a check build).
with_clippy() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)" \
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}

# Build the browser client into dist/: cargo (wasm32) → wasm-bindgen --target web → wasm-opt -Oz.
build_client() {
  cd "$ROOT"
  # Own target dir: native and wasm builds (and people working on each) do not wait on one lock.
  # CRM_DIST: where the built client goes (default dist/); CRM_WASM_TARGET_DIR: its cargo target dir.
  local profile="${CRM_WASM_PROFILE:-wasm-release}" tdir="${CRM_WASM_TARGET_DIR:-$ROOT/target-wasm}" out="${CRM_DIST:-$ROOT/dist}"
  # CRM_CLIPPY=1: lint the client's crate while building it (./test).
  local lint=()
  [ "${CRM_CLIPPY:-}" = 1 ] && lint=(with_clippy)
  CARGO_TARGET_DIR="$tdir" "${lint[@]}" cargo build --profile "$profile" --target wasm32-unknown-unknown -p app --features ui --bin crm-app
  rm -rf "$out" && mkdir -p "$out/pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" \
    "$tdir/wasm32-unknown-unknown/$( [ "$profile" = dev ] && echo debug || echo "$profile")/crm-app.wasm"
  local raw opt
  raw=$(stat -c %s "$out/pkg/crm-app_bg.wasm")
  "$ROOT/tests/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
    "$out/pkg/crm-app_bg.wasm" -o "$out/pkg/crm-app_bg.wasm"
  opt=$(stat -c %s "$out/pkg/crm-app_bg.wasm")
  cp -r public/. "$out/"
  cp style/*.css "$out/"
  # The service worker's cache name carries a hash of the build, so a new build replaces the old cache.
  local ver
  ver=$(cat "$out"/pkg/* "$out"/*.css "$out/index.html" | sha256sum | cut -c1-12)
  [ -f "$out/sw.js" ] && sed -i "s/__BUILD_VERSION__/$ver/" "$out/sw.js"
  echo "client wasm: raw ${raw} B, after wasm-opt ${opt} B"
  node "$ROOT/.ci/precompress.mjs" "$out"
}
