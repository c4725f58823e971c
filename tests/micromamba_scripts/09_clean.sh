# clean flags remove what micromamba's remove (15.5).
set -euo pipefail
pkgs="$MAMBA_ROOT_PREFIX/pkgs"
micromamba create -y -n used -c "$CHANNEL" libhello
micromamba create -y -n gone -c "$CHANNEL" hello
micromamba env remove -y -n gone
micromamba clean 2>&1 | grep -q "Nothing to do."  # no flag: exit 0
micromamba clean -t -y
test -z "$(ls "$pkgs"/*.conda 2>/dev/null)"
micromamba clean -p -y
test -d "$pkgs/libhello-1.0-0" && test ! -e "$pkgs/hello-1.0-0"
touch "$MAMBA_ROOT_PREFIX/envs/used/old.so.mamba_trash"
micromamba clean -a -y
test -e "$MAMBA_ROOT_PREFIX/envs/used/old.so.mamba_trash"  # -a does not include --trash
micromamba clean --trash -y
test ! -e "$MAMBA_ROOT_PREFIX/envs/used/old.so.mamba_trash"
echo n | micromamba clean -f
test -d "$pkgs"
micromamba clean -f -y
test ! -e "$pkgs" && test -d "$MAMBA_ROOT_PREFIX/envs/used/conda-meta"
