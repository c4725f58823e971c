# create/install/remove in base before the root prefix exists (15.5).
set -euo pipefail
test ! -e "$MAMBA_ROOT_PREFIX"
micromamba install -y -n base -c "$CHANNEL" libhello
micromamba install -y -n base -c "$CHANNEL" hello
micromamba list -n base --json | jq -e '[.[].name] | sort == ["hello", "libhello"]' >/dev/null
micromamba remove -y -n base hello
micromamba list -n base --json | jq -e '[.[].name] == ["libhello"]' >/dev/null
micromamba create -y -p "$WORK/dry" -c "$CHANNEL" hello --dry-run
test ! -e "$WORK/dry"
