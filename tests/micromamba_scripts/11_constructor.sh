# conda constructor's installer (15.7): the packages it ships in PREFIX/pkgs are extracted with
# `constructor --extract-conda-pkgs`, installed offline from an @EXPLICIT file, then its payload tarball
# is unpacked from stdin with `constructor --extract-tarball`.
set -euo pipefail
P="$WORK/inst"
mkdir -p "$P/pkgs"
BASE="https://repo.example.org/shipped/noarch"
for fn in libhello-1.0-0.conda hello-1.0-0.conda; do
  cp "${CHANNEL#file://}/noarch/$fn" "$P/pkgs/"
  echo "$BASE/$fn" >> "$P/pkgs/urls"
done
micromamba constructor --prefix "$P" --extract-conda-pkgs >/dev/null
jq -e '.name == "hello" and .url == "'"$BASE"'/hello-1.0-0.conda"' "$P/pkgs/hello-1.0-0/info/repodata_record.json" >/dev/null
printf '@EXPLICIT\n%s\n%s\n' "$BASE/libhello-1.0-0.conda" "$BASE/hello-1.0-0.conda" > "$WORK/env.txt"
CONDA_PKGS_DIRS="$P/pkgs" micromamba create --offline -y -p "$WORK/env" -f "$WORK/env.txt"
"$WORK/env/bin/hello" | grep -q .
micromamba list -p "$WORK/env" --json | jq -e '[.[].name] | sort == ["hello", "libhello"]' >/dev/null
mkdir -p "$WORK/payload/etc" && echo "installer payload" > "$WORK/payload/etc/payload.txt"
tar -C "$WORK/payload" -cjf - etc | micromamba constructor -p "$P" --extract-tarball
grep -qx "installer payload" "$P/etc/payload.txt"
test ! -e "$P/_tmp.tar.bz2"
