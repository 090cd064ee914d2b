#!/bin/sh
# Installs what the Python client tests need (tests/client_python.rs) into a venv
# under the workspace's target/ (or $CARGO_TARGET_DIR): httpx, websockets, mypy and pytest,
# pinned with hashes in requirements.txt. Idempotent: a venv whose stamp matches
# requirements.txt is left as it is. Prints the venv's python.
#
# To update the pins: pip download the new versions (with --only-binary=:all:),
# then write each wheel's `pip hash` into requirements.txt.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
requirements="$here/requirements.txt"
# One venv per requirements.txt (named by its hash): worktrees or branches with other
# pins share the target/ directory without reinstalling each other's venv.
pins=$(sha256sum "$requirements" | cut -c1-12)
venv="$target/clients/python-venv-$pins"
python=${PYTHON:-python3}
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    echo "$venv/bin/python"
    exit 0
fi
mkdir -p "$target/clients"
rm -rf "$venv"
"$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --require-hashes --only-binary=:all: -r "$requirements" >&2
cp "$requirements" "$stamp"
echo "$venv/bin/python"
