# Sourced by scripts/test and scripts/demo: make sure .venv holds treemerge and its tools.
# The install is redone only when pyproject.toml changes (its hash is kept in the venv).

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
    want=$(cat "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)
    if [[ ! -x "$root/.venv/bin/python" ]]; then
        echo "setting up $root/.venv ..." >&2
        "$python" -m venv "$root/.venv" || return 2
    fi
    if [[ ! -f "$stamp" || $(cat "$stamp") != "$want" ]]; then
        echo "installing treemerge and its test tools into .venv (log: .venv/install.log) ..." >&2
        if ! { "$root/.venv/bin/python" -m pip install --upgrade pip &&
               "$root/.venv/bin/python" -m pip install -e "$root[test]"; } \
               > "$root/.venv/install.log" 2>&1; then
            tail -n 30 "$root/.venv/install.log" >&2
            echo "installing failed; the whole log is .venv/install.log" >&2
            return 2
        fi
        echo "$want" > "$stamp"
    fi
    export PATH="$root/.venv/bin:$PATH"
}
