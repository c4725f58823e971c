# JSON documents as clients parse them (15.6, 16.2).
set -euo pipefail
out=$(micromamba create -y -p "$WORK/e" -c "$CHANNEL" hello --json)
echo "$out" | jq -e '.success and (.actions.LINK | length == 2) and (.actions | has("UNLINK") | not)' >/dev/null
echo "$out" | jq -e '.actions.LINK[0] | has("timestamp") and has("license") and has("track_features")' >/dev/null
MAMBA_JSON=true micromamba install -p "$WORK/e" -c "$CHANNEL" hello \
  | jq -e '.message == "All requested packages already installed" and (has("actions") | not)' >/dev/null
if MAMBA_JSON=1 micromamba install -p "$WORK/e" -c "$CHANNEL" nosuchpkg > "$WORK/err.json"; then exit 1; fi
jq -e '(.success == false) and (.solver_problems | all(type == "string"))' "$WORK/err.json" >/dev/null
micromamba repoquery depends -p "$WORK/e" hello --json | jq -e '.result.graph_roots | length == 1' >/dev/null
