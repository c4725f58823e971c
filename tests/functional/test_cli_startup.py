import subprocess
import sys

import naja


def test_version_prints_package_version():
    out = subprocess.run([sys.executable, "-m", "naja", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == naja.__version__


def test_version_imports_nothing_heavy():
    code = "import sys; from naja.cli.main import main; main(['--version']); " \
           "heavy = [m for m in ('msgspec', 'rich', 'tqdm', 'urllib3', 'zstandard', 'backports.zstd', 'compression.zstd', 'naja.types.version', 'argparse') if m in sys.modules]; " \
           "print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_dry_run_on_a_local_channel_loads_nothing_network_related(tmp_path):
    from tests.support.cli import REPO, subprocess_env

    channel = tmp_path / "ch"
    subprocess.run([sys.executable, str(REPO / "examples" / "build_channel.py"), str(channel)], check=True,
                   capture_output=True, env=subprocess_env())
    code = ("import sys; from naja.cli.main import main; code = main(sys.argv[1:]); "
            "print([m for m in ('http.client', 'urllib.request', 'urllib3', 'ssl', 'email.parser', 'naja.api.lock', "
            "'naja.api.configuration', 'naja.api.envs', 'naja.net.settings', 'naja.net.tls', 'naja.net.credentials', "
            "'naja.install.link', 'naja.environment.files') if m in sys.modules]); sys.exit(code)")
    out = subprocess.run([sys.executable, "-c", code, "create", "--dry-run", "--no-rc", "-p", str(tmp_path / "env"),
                          "--override-channels", "-c", channel.as_uri(), "hello", "greet"],
                         capture_output=True, text=True, env=subprocess_env({"HOME": str(tmp_path)}))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
