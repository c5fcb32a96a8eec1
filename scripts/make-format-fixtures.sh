#!/usr/bin/env bash
# Rebuilds the PDF and DOCX fixtures of tests/data/formats/ from the HTML sources in
# tests/data/formats/source/ with LibreOffice and qpdf (Debian: libreoffice-writer-nogui,
# qpdf). The fixtures are committed; the tests never run this.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)/tests/data/formats"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here"/source/*.html "$work"/
cd "$work"
for f in handbook decision-rights restricted; do
  soffice --headless --convert-to pdf:writer_pdf_Export --infilter="HTML (StarWriter)" "$f.html" >/dev/null
done
soffice --headless --convert-to docx:"MS Word 2007 XML" --infilter="HTML (StarWriter)" decision-rights.html >/dev/null
cp handbook.pdf decision-rights.docx "$here"/
# needs a password to open: skipped
qpdf --encrypt secret owner 256 -- restricted.pdf "$here"/locked.pdf
# an owner password only (no password to open, printing restricted): read
qpdf --encrypt "" owner 256 --print=none -- restricted.pdf "$here"/restricted.pdf
ls -l "$here"
