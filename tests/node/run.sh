#!/usr/bin/env bash
# The official `openai` Node.js client against `pareto serve` on loopback. Installs the
# client from npm into build/node (ignored by git), makes a small model with `pareto model
# new`, starts the server with an API key, runs openai_client.mjs, stops the server.
# Usage: tests/node/run.sh [BUILD_DIR]   (skips, exit 0, without node/npm or ../shared;
# with PARETO_REQUIRE_NODE=1, as scripts/test sets it, a missing node or npm is a failure)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
pareto="$build/pareto"
vocab=../shared/data/tokenizer/ggml-vocab-llama-spm.gguf
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "${PARETO_REQUIRE_NODE:-0}" = 1 ]; then
    echo "tests/node: FAILED: node and npm are required (scripts/deps installs them)" >&2; exit 1
  fi
  echo "tests/node: SKIPPED: node and npm are not installed (scripts/deps installs them)"; exit 0
fi
if [ ! -f "$vocab" ]; then echo "tests/node: skipped (no $vocab)"; exit 0; fi

node_dir="$build/node"
if [ ! -d "$node_dir/node_modules/openai" ]; then
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-audit --no-fund --silent openai@4 >&2
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$pareto" model new --arch llama --embd 64 --layers 2 --heads 4 --kv-heads 2 --ffn 128 \
  --vocab "$vocab" --type q8_0 -o "$work/tiny.gguf" 2>/dev/null
"$pareto" generate --model "$work/tiny.gguf" --prompt "Hello there" --chat --template completion \
  -n 10 --temp 0 --logprobs 3 --json -t 1 > "$work/expected.json"

export PARETO_NODE_KEY="sk-node-$RANDOM$RANDOM"
"$pareto" serve --model "$work/tiny.gguf" --name tiny --port 0 -t 1 \
  --api-key-env PARETO_NODE_KEY 2> "$work/serve.err" &
server_pid=$!
url=
for _ in $(seq 1 600); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*/v1' "$work/serve.err" || true)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "tests/node: the server did not start" >&2; cat "$work/serve.err" >&2; exit 1; }

cp tests/node/openai_client.mjs "$node_dir/"
PARETO_URL="$url" PARETO_EXPECTED="$work/expected.json" node "$node_dir/openai_client.mjs"
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=
if grep -q "$PARETO_NODE_KEY" "$work/serve.err"; then
  echo "tests/node: the API key appeared in the server's output" >&2; exit 1
fi
