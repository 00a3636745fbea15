#!/usr/bin/env bash
# Prepare a Debian 12 machine (run as root) for building and testing spillpool.
#
# Idempotent. It:
#   * installs the build and test dependencies that are missing with apt-get
#     (build tools, PostgreSQL 15 server and dev files, zstd/lz4/zlib/brotli
#     headers, IPC::Run for the TAP tests, psycopg2 for the consume section
#     of test/bench.sh, Node.js and npm unless already on PATH);
#   * stops Debian's auto-created PostgreSQL cluster on port 5432 and sets it
#     to start manually, so it cannot interfere with the test instances;
#   * makes sure an unprivileged system user exists to run PostgreSQL servers
#     ("postgres" if it exists, else a new "spillpool" system user; the
#     SPILLPOOL_USER environment variable overrides the choice).
#
# Usage:
#   bash test/setup.sh               # do the above
#   bash test/setup.sh --print-user  # only print the name of the test user
set -euo pipefail

readonly PG_MAJOR=15
readonly APT_PACKAGES=(
    build-essential
    "postgresql-${PG_MAJOR}"
    "postgresql-server-dev-${PG_MAJOR}"
    postgresql-contrib
    libzstd-dev
    liblz4-dev
    zlib1g-dev
    libbrotli-dev
    libipc-run-perl
    python3-psycopg2
    libavro-dev
    python3-avro
)

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# Name of the unprivileged user that runs PostgreSQL servers.
test_user_name() {
    if [[ -n "${SPILLPOOL_USER:-}" ]]; then
        printf '%s\n' "$SPILLPOOL_USER"
    elif id -u postgres >/dev/null 2>&1; then
        printf 'postgres\n'
    else
        printf 'spillpool\n'
    fi
}

require_root() {
    [[ ${EUID} -eq 0 ]] || die "must run as root (try: sudo bash test/setup.sh)"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; this script expects Debian 12"
}

package_installed() {
    local status
    status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [[ "$status" == "install ok installed" ]]
}

# Prints the packages from APT_PACKAGES (plus nodejs/npm if needed) that are missing.
missing_packages() {
    local pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        package_installed "$pkg" || printf '%s\n' "$pkg"
    done
    # Node.js may come from elsewhere (e.g. a preinstalled /usr/bin/node).
    if ! command -v node >/dev/null 2>&1; then
        package_installed nodejs || printf 'nodejs\n'
    fi
    if ! command -v npm >/dev/null 2>&1; then
        package_installed npm || printf 'npm\n'
    fi
}

install_missing_packages() {
    local -a missing
    mapfile -t missing < <(missing_packages)
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "all required packages are already installed"
        return 0
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    apt-get install -y -q "${missing[@]}" </dev/null \
        || die "apt-get install failed for: ${missing[*]}"
}

check_toolchain() {
    local bindir="/usr/lib/postgresql/${PG_MAJOR}/bin"
    local tool
    for tool in "$bindir/pg_config" "$bindir/initdb" "$bindir/pg_ctl" "$bindir/postgres"; do
        [[ -x "$tool" ]] || die "missing $tool after installing packages"
    done
    for tool in make gcc prove node npm; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH after installing packages"
    done
    "$bindir/pg_config" --pgxs >/dev/null || die "pg_config --pgxs failed"
}

# Stop Debian's default cluster (if any) and keep it from autostarting.
quiesce_default_cluster() {
    local conf_dir="/etc/postgresql/${PG_MAJOR}/main"
    [[ -d "$conf_dir" ]] || return 0
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        pg_ctlcluster "$PG_MAJOR" main stop >/dev/null 2>&1 || true
    fi
    if [[ -f "$conf_dir/start.conf" ]] && ! grep -qx 'manual' "$conf_dir/start.conf"; then
        printf '%s\n' '# spillpool test/setup.sh: do not start this cluster automatically' 'manual' \
            >"$conf_dir/start.conf"
        log "set Debian cluster ${PG_MAJOR}/main to start manually"
    fi
}

ensure_test_user() {
    local user
    user=$(test_user_name)
    if id -u "$user" >/dev/null 2>&1; then
        [[ $(id -u "$user") -ne 0 ]] || die "test user '$user' must not be root"
        return 0
    fi
    log "creating system user '$user'"
    useradd --system --user-group --create-home --home-dir "/var/lib/$user" \
        --shell /bin/bash --comment "spillpool test runner" "$user" \
        || die "could not create user '$user'"
}

main() {
    if [[ "${1:-}" == "--print-user" ]]; then
        test_user_name
        return 0
    fi
    [[ $# -eq 0 ]] || die "unknown argument: $1 (only --print-user is accepted)"
    require_root
    install_missing_packages
    check_toolchain
    quiesce_default_cluster
    ensure_test_user
    log "ready (PostgreSQL ${PG_MAJOR}, test user '$(test_user_name)')"
}

main "$@"
