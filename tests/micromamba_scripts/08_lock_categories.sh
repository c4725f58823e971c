# conda-lock lockfiles with categories: main by default, --category replaces it (15.5).
set -euo pipefail
platform=$(micromamba info --json | jq -r .platform)
dir=${CHANNEL#file://}
entry() {  # name category
  local fn="$1-1.0-0.conda"
  cat <<ENTRY
- name: $1
  version: '1.0'
  manager: conda
  platform: $platform
  dependencies: {}
  url: $CHANNEL/noarch/$fn
  hash: {sha256: $(sha256sum "$dir/noarch/$fn" | cut -d' ' -f1)}
  category: $2
  optional: $([ "$2" = main ] && echo false || echo true)
ENTRY
}
{
  printf 'version: 1\nmetadata:\n  platforms: [%s]\n  channels: [{url: %s, used_env_vars: []}]\n' "$platform" "$CHANNEL"
  printf '  content_hash: {}\n  sources: []\npackage:\n'
  entry libhello main
  entry hello dev
} > "$WORK/conda-lock.yml"
micromamba create -y -p "$WORK/main" -f "$WORK/conda-lock.yml"
micromamba list -p "$WORK/main" --json | jq -e '[.[].name] == ["libhello"]' >/dev/null
micromamba create -y -p "$WORK/dev" -f "$WORK/conda-lock.yml" --category dev
micromamba list -p "$WORK/dev" --json | jq -e '[.[].name] == ["hello"]' >/dev/null
micromamba create -y -p "$WORK/both" -f "$WORK/conda-lock.yml" --category main --category dev
micromamba list -p "$WORK/both" --json | jq -e '[.[].name] | sort == ["hello", "libhello"]' >/dev/null
micromamba install -y -p "$WORK/main" -f "$WORK/conda-lock.yml" --category dev
micromamba list -p "$WORK/main" --json | jq -e '[.[].name] | sort == ["hello", "libhello"]' >/dev/null
