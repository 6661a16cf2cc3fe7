# Sourced by scripts/setup.sh and scripts/install_plugins.sh.
# apt_install_missing PKG...: install with apt-get (sudo -n unless root) the Debian packages not installed yet,
# waiting up to 120 s for dpkg's lock if another apt or dpkg (unattended-upgrades, a second set-up) holds it;
# without apt-get, a warning naming them. Returns apt-get's status.
apt_install_missing() {
    local missing=() pkg sudo=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        echo "warning: no apt-get; install the equivalents of ${missing[*]} with your package manager" >&2
        return 0
    fi
    [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
    echo "installing system packages: ${missing[*]} (waits up to 120 s for dpkg's lock if another apt or dpkg holds it)"
    local lock=(-o DPkg::Lock::Timeout=120)
    $sudo apt-get "${lock[@]}" update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock[@]}" install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
}
