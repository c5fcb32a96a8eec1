#!/usr/bin/env bash
# Build a real-text benchmark corpus offline from Debian's long package descriptions.
#
#   scripts/make-bench-corpus.sh [OUT_DIR] [N]
#
# OUT_DIR defaults to bench-data/debian (git-ignored); N limits the number of
# documents (spread evenly over the package list; default: all, ~60k).
# The descriptions come from apt itself: `apt-get update` with English
# translations into a private lists directory (bench-data/apt/lists), so the
# system's apt state is untouched; nothing else is downloaded. Without network
# it falls back to the system lists / `apt-cache dumpavail` (short descriptions
# only where the long ones are missing). Needs a rolefaq binary: $ROLEFAQ_BIN,
# else target/release/rolefaq, else `cargo run --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-bench-data/debian}"
LIMIT="${2:-}"
LISTS="$PWD/bench-data/apt/lists"
mkdir -p "$LISTS/partial"

if ! ls "$LISTS"/*Translation-en* >/dev/null 2>&1; then
  echo "fetching apt lists with English descriptions into $LISTS" >&2
  apt-get update -qq -o Dir::State::Lists="$LISTS" -o Acquire::Languages=en >&2 || \
    echo "warning: apt-get update failed; using what is there" >&2
fi

TMP="$(mktemp)"
trap 'rm -f "$TMP"' EXIT
# bookworm main first, then updates and security (first description wins).
found=0
for f in $(ls "$LISTS"/*Translation-en* 2>/dev/null | sort); do
  /usr/lib/apt/apt-helper cat-file "$f" >>"$TMP"; printf '\n\n' >>"$TMP"; found=1
done
if [ "$found" = 0 ]; then
  echo "warning: no Translation-en lists; using apt-cache dumpavail" >&2
  apt-cache dumpavail >"$TMP"
fi

BIN="${ROLEFAQ_BIN:-target/release/rolefaq}"
[ -n "${CARGO_TARGET_DIR:-}" ] && [ -z "${ROLEFAQ_BIN:-}" ] && BIN="$CARGO_TARGET_DIR/release/rolefaq"
args=(bench-corpus --out "$OUT")
[ -n "$LIMIT" ] && args+=(--limit "$LIMIT")
rm -rf "$OUT"
if [ -x "$BIN" ]; then
  "$BIN" "${args[@]}" "$TMP"
else
  cargo run --release --quiet -- "${args[@]}" "$TMP"
fi
