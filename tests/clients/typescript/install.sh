#!/bin/sh
# Installs what the TypeScript client tests need, pinned by package-lock.json
# (typescript, @types/node), into tests/clients/typescript/node_modules. Idempotent:
# does nothing when the installed packages are the lock file's.
set -eu
cd "$(dirname "$0")"
if [ -f node_modules/.apigen-lock ] && cmp -s package-lock.json node_modules/.apigen-lock; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/.apigen-lock
