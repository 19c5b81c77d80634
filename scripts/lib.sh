# Shared by every script in scripts/: where the project's Python environment
# lives and how to run a command in it. Sourced, never executed.
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
MIN_PYTHON=3.14.2
SOT_CACHE=${SOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sot-point}
ROOT="$SOT_CACHE/debian-root"
DEBIAN_MIRROR=${SOT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
HOST_VENV="$REPO/.venv"

log() { printf '[sot-point] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The requirements decide the venv: a change to them gives a fresh one, and two
# clones with the same requirements share the one inside the cached root.
requirements_hash() {
    cat "$REPO/requirements_test.txt" "$REPO/requirements_demo.txt" "$REPO/scripts/setup" | sha256sum | cut -c1-16
}

root_venv() { printf '/opt/sot-point/venv-%s' "$(requirements_hash)"; }

# The second venv: the newest Home Assistant release, pinned on purpose in
# requirements_newest_ha.txt, run as a real `hass` by tests/test_ha_releases.py
# and by `scripts/demo --ha-version`.
NEWEST_HA_REQUIREMENTS="$REPO/requirements_newest_ha.txt"
newest_ha_version() { sed -n 's/^homeassistant==\([^ ]*\).*/\1/p' "$NEWEST_HA_REQUIREMENTS"; }
newest_ha_hash() {
    cat "$NEWEST_HA_REQUIREMENTS" "$REPO/requirements_demo.txt" "$REPO/scripts/setup" | sha256sum | cut -c1-16
}
root_newest_ha_venv() { printf '/opt/sot-point/ha-%s-%s' "$(newest_ha_version)" "$(newest_ha_hash)"; }
host_newest_ha_venv() { printf '%s/.venv-ha-%s' "$REPO" "$(newest_ha_version)"; }

# Which of the three environments this clone uses, judged by what exists.
env_kind() {
    if [ -x "$HOST_VENV/bin/python" ]; then
        echo host
    elif [ -f "$ROOT$(root_venv)/pyvenv.cfg" ]; then
        echo root
    else
        echo none
    fi
}

# Environment variables that cross into the root; everything else stays out so
# the host's pip and Python settings cannot leak in.
passthrough_env() {
    local name
    for name in TERM CI COLUMNS TZ PYTEST_ADDOPTS; do
        [ -n "${!name:-}" ] && printf '%s=%s\n' "$name" "${!name}"
    done
    env | grep -E '^SOT_' || true
}

run_in_root() {
    local venv cwd
    venv=$(root_venv)
    cwd=$(pwd -P)
    case "$cwd" in "$REPO" | "$REPO"/*) ;; *) cwd=$REPO ;; esac
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
    mapfile -t extra < <(passthrough_env)
    # A private mount namespace: every mount below vanishes with the command.
    unshare --mount --propagation private -- bash -c '
        set -e
        root=$1 repo=$2 cwd=$3 venv=$4; shift 4
        mount --rbind /dev "$root/dev"
        mount -t proc proc "$root/proc"
        mount --rbind /sys "$root/sys"
        mkdir -p "$root$repo"
        mount --bind "$repo" "$root$repo"
        declare -a envs=()
        while [ "$1" != "--" ]; do envs+=("$1"); shift; done
        shift
        exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
            PATH="$venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
            VIRTUAL_ENV="$venv" "${envs[@]}" \
            /bin/bash -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
    ' _ "$ROOT" "$REPO" "$cwd" "$venv" "${extra[@]}" -- "$@"
}

run_in_env() {
    case "$(env_kind)" in
        host)
            SOT_NEWEST_HA_PYTHON="$(host_newest_ha_venv)/bin/python" \
                PATH="$HOST_VENV/bin:$PATH" VIRTUAL_ENV="$HOST_VENV" exec "$@"
            ;;
        root)
            SOT_NEWEST_HA_PYTHON="$(root_newest_ha_venv)/bin/python" run_in_root "$@"
            ;;
        *)
            die "no environment yet: run scripts/setup first"
            ;;
    esac
}
