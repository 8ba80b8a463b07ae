# Sourced by scripts/test.sh and scripts/demo.sh: installs the Debian packages a
# build needs (only those missing), then creates .venv with an up-to-date pip.
set -euo pipefail
need=()
command -v g++ >/dev/null 2>&1 || need+=(g++ make)
command -v ccache >/dev/null 2>&1 || need+=(ccache)
python3 - <<'PY' || need+=(python3-dev)
import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
PY
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
if ((${#need[@]})); then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
