# Sourced by setup.sh and install_plugins.sh: `pip_install PYTHON LOG ARGS...` runs `PYTHON -m pip install ARGS`
# showing pip's own progress, one line per package it collects, downloads or builds (a re-run shows next to
# nothing), and setuptools' deprecation banners; the full output goes to LOG, whose end is shown if pip fails.
pip_install() {
    local py=$1 log=$2
    shift 2
    if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$py" -m pip install "$@" 2>&1 | tee "$log" | awk '
            /^ *(Collecting|Downloading|Building wheel|Installing collected|Successfully installed)/ ||
            /eprecat/ { print "  " $0; fflush() }'; then
        echo "pip install failed; the end of its output (all of it in $log):" >&2
        tail -n 25 "$log" >&2
        return 1
    fi
}
