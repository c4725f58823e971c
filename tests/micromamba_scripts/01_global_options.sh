# Global options anywhere, specs mixed with options, run's arguments are its own (15.3, 16.1).
set -euo pipefail
micromamba --version | grep -Eq '^2\.[0-9]+\.[0-9]+$'
micromamba config --json list pkgs_dirs | jq -e '.pkgs_dirs | length == 1' >/dev/null
micromamba --json info | jq -e '."base environment" == env.MAMBA_ROOT_PREFIX' >/dev/null
micromamba info --json | jq -e '."micromamba version" | startswith("2.")' >/dev/null
micromamba -y create -p "$WORK/env" hello -c "$CHANNEL" greet
test -x "$WORK/env/bin/hello"
micromamba -q run -p "$WORK/env" greet world --json | grep -q "greetings, world"
micromamba -r "$MAMBA_ROOT_PREFIX" list -p "$WORK/env" --json | jq -e '[.[].name] | index("greet") != null' >/dev/null
