# Sourced by scripts/test and scripts/demo: make sure .venv holds treemerge and its tools.
# The install is redone only when pyproject.toml or the way of installing changes (their
# hash is kept in the venv).
#
# treemerge is installed editable in setuptools' compat mode: the checkout is a path in a
# .pth file, as an installed package's directory would be, rather than an import hook
# that every import of every command would pass through (a few ms of each start-up).

ensure_venv() {
    local root python stamp want
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    python=${PYTHON:-python3}
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "treemerge needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
        return 2
    fi
    if ! command -v git >/dev/null; then
        echo "treemerge needs git on PATH" >&2
        return 2
    fi
    stamp="$root/.venv/.treemerge-installed"
    local mode="editable_mode=compat"
    want=$({ cat "$root/pyproject.toml"; echo "$mode"; } | sha256sum | cut -d' ' -f1)
    if [[ ! -x "$root/.venv/bin/python" ]]; then
        echo "setting up $root/.venv ..." >&2
        "$python" -m venv "$root/.venv" || return 2
    fi
    if [[ ! -f "$stamp" || $(cat "$stamp") != "$want" ]]; then
        echo "installing treemerge and its test tools into .venv (log: .venv/install.log) ..." >&2
        if ! { "$root/.venv/bin/python" -m pip install --upgrade pip &&
               "$root/.venv/bin/python" -m pip install --config-settings "$mode" -e "$root[test]"; } \
               > "$root/.venv/install.log" 2>&1; then
            tail -n 30 "$root/.venv/install.log" >&2
            echo "installing failed; the whole log is .venv/install.log" >&2
            return 2
        fi
        echo "$want" > "$stamp"
    fi
    export PATH="$root/.venv/bin:$PATH"
}
