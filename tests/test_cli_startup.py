import subprocess
import sys

import naja


def test_version_prints_package_version():
    out = subprocess.run([sys.executable, "-m", "naja", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == naja.__version__


def test_version_imports_nothing_heavy():
    code = "import sys; from naja.cli.main import main; main(['--version']); " \
           "heavy = [m for m in ('msgspec', 'rich', 'tqdm', 'urllib3', 'zstandard', 'backports.zstd', 'compression.zstd', 'naja.version') if m in sys.modules]; " \
           "print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
