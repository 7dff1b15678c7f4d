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
    ensure_bubblewrap "$root/.venv/bubblewrap.log"
    export PATH="$root/.venv/bin:$PATH"
}

# `next` runs the integration test command in a bubblewrap sandbox (docs/operations.md,
# "What runs where"), and the tests check that sandbox: install bwrap where it is missing
# and we may (root, with apt-get), else say how. Not fatal: only that command needs it.
ensure_bubblewrap() {
    local log=$1
    command -v bwrap >/dev/null && return 0
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "installing bubblewrap, the sandbox of the integration test command (log: $log) ..." >&2
        local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap)
        # (A fresh machine may have no package lists yet: update them only then.)
        if { "${install[@]}" || { apt-get update -q && "${install[@]}"; }; } \
               > "$log" 2>&1 < /dev/null; then
            return 0
        fi
        tail -n 20 "$log" >&2
    fi
    echo "bubblewrap (bwrap) is not installed; treemerge runs the integration test command" \
         "in it. Install it: apt-get install bubblewrap (or your system's package)." >&2
}
