# bare command groups and package archives (15.5).
set -euo pipefail
for group in env package "env config" "env config vars"; do
  # shellcheck disable=SC2086
  test -z "$(micromamba $group 2>/dev/null)"
done
dir=${CHANNEL#file://}
micromamba package transmute "$dir/noarch/hello-1.0-0.conda" "$WORK"
test -f "$WORK/hello-1.0-0.tar.bz2"
python3 - "$WORK/hello-1.0-0.tar.bz2" <<'PY'  # info/ first, then the payload
import sys, tarfile
names = tarfile.open(sys.argv[1]).getnames()
first_payload = next(i for i, n in enumerate(names) if not n.startswith("info/"))
assert all(not n.startswith("info/") for n in names[first_payload:]), names
PY
mkdir "$WORK/back"
micromamba package transmute "$WORK/hello-1.0-0.tar.bz2" "$WORK/back"
python3 -c 'import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist(); assert n[0] == "metadata.json" and n[1].startswith("pkg-") and n[2].startswith("info-"), n' \
  "$WORK/back/hello-1.0-0.conda"
