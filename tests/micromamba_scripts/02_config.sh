# Configuration as micromamba layers and edits it (15.1).
set -euo pipefail
micromamba config >/dev/null                               # bare: help, exit 0
micromamba config append channels "$CHANNEL"
micromamba config set always_yes true
micromamba config list channels | grep -qF "$CHANNEL"
micromamba config get always_yes --file ~/.condarc | grep -q "always_yes: true"
micromamba config remove-key not_there | grep -q "Key is not present in file"
micromamba create -p "$WORK/e2" libhello                   # channels and always_yes from ~/.condarc
test -f "$WORK/e2/share/hello/greeting.txt"
echo 'envs_dirs: ["${WORK}/named-envs"]' > "$MAMBA_ROOT_PREFIX/.mambarc"
micromamba config list envs_dirs --json | jq -e '.envs_dirs[0] == env.WORK + "/named-envs"' >/dev/null
MAMBA_JSON=true micromamba config sources | jq -e '.sources | length >= 2' >/dev/null
micromamba --no-rc config list channels --json | jq -e '.channels | index(env.CHANNEL) == null' >/dev/null
