#!/usr/bin/env bash
# A virtualenv cached outside the clone, keyed by what it is built from; a build that did not finish is never reused.
#   .ci/cached_venv.sh NAME KEY_TEXT -- BUILD_COMMAND...
# The venv is $LEREC_CI_CACHE/NAME-HASH (default ~/.cache/lerec-ci), HASH from KEY_TEXT (the requirements and the
# Python it is built with). BUILD_COMMAND makes it at $VENV; it counts as built only when the command exits 0 (then
# .complete is written last), otherwise it is deleted, and so is a directory left by a build that was killed.
# Builds of one NAME are serialised with flock; older builds of NAME are deleted after a new one succeeds.
# Prints the venv's path as the last line of stdout; the build's output goes to stderr.
set -euo pipefail
name=$1 key=$2
shift 2
[ "${1:-}" = -- ] && shift
root=${LEREC_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lerec-ci}
mkdir -p "$root"
hash=$(printf '%s' "$key" | sha256sum | cut -c1-12)
export VENV=$root/$name-$hash
exec 9>"$root/$name.lock"
flock 9
if [ -f "$VENV/.complete" ]; then
    echo "$name: reusing $VENV ($(du -sh "$VENV" | cut -f1))" >&2
else
    rm -rf "$VENV"
    echo "$name: building $VENV" >&2
    start=$(date +%s)
    if ! "$@" >&2; then
        rm -rf "$VENV"
        echo "$name: build failed; nothing kept at $VENV" >&2
        exit 1
    fi
    printf '%s\n' "$key" > "$VENV/.complete"
    echo "$name: built in $(( $(date +%s) - start )) s, $(du -sh "$VENV" | cut -f1)" >&2
    for old in "$root/$name"-*; do
        [ "$old" != "$VENV" ] && [ -d "$old" ] && rm -rf "$old"
    done
fi
echo "$VENV"
