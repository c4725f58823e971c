# info and env as scripts use them (15.2).
set -euo pipefail
test "$(micromamba info --base | tail -n 1)" = "$MAMBA_ROOT_PREFIX" || micromamba info --base | grep -qF "$MAMBA_ROOT_PREFIX"
micromamba env list --json | jq -e '.envs == [env.MAMBA_ROOT_PREFIX]' >/dev/null   # root before it exists
micromamba create -y -n named -c "$CHANNEL" libhello
micromamba env list --json | jq -e '.envs | length == 2' >/dev/null
micromamba env export -n named --json | jq -e '.name == "named"' >/dev/null
micromamba env export -n named --explicit --md5 | grep -q '@EXPLICIT'
micromamba env remove -y -n named
micromamba env list --json | jq -e '.envs | length == 1' >/dev/null
