# Prompts: end of input or an empty line take the default; -y, MAMBA_ALWAYS_YES, --json, -q imply yes (16.3).
set -euo pipefail
micromamba create -p "$WORK/a" -c "$CHANNEL" libhello < /dev/null
echo | micromamba create -p "$WORK/b" -c "$CHANNEL" libhello
if echo n | micromamba create -p "$WORK/c" -c "$CHANNEL" libhello; then exit 1; fi
test ! -e "$WORK/c"
echo n | MAMBA_ALWAYS_YES=true micromamba create -p "$WORK/d" -c "$CHANNEL" libhello
echo n | micromamba -q create -p "$WORK/e" -c "$CHANNEL" libhello
test -f "$WORK/d/share/hello/greeting.txt" && test -f "$WORK/e/share/hello/greeting.txt"
