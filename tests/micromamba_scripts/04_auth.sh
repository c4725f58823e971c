# auth login/logout in micromamba's file (15.4).
set -euo pipefail
micromamba auth login https://repo.example.org:8443/private -u me -p hunter2
echo tok | micromamba auth login repo.example.org --token-stdin
f=~/.mamba/auth/authentication.json
jq -e '."repo.example.org:8443/private".type == "BasicHTTPAuthentication"' "$f" >/dev/null
jq -e '."repo.example.org:8443/private".password | @base64d == "hunter2"' "$f" >/dev/null
jq -e '."repo.example.org".token == "tok"' "$f" >/dev/null
micromamba auth logout repo.example.org | grep -q "Logged out from repo.example.org"
micromamba auth logout --all
test ! -e "$f"
