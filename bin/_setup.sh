# Sourced by bin/seatcheck and bin/test: a virtualenv in .venv with this checkout installed
# (editable), remade when pyproject.toml changes. Host packages and the engine are seatcheck's
# own job (`seatcheck setup`), so that they are checked the same way on every run.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
stamp="$venv/.seatcheck-pyproject.sha256"
want=$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "seatcheck: preparing $venv" >&2
  python3 -m venv "$venv" || { echo "seatcheck: python3 -m venv failed (install python3-venv)" >&2; exit 1; }
  "$venv/bin/pip" install -q --disable-pip-version-check -e "$root[dev]" >&2 \
    || { echo "seatcheck: pip install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
