#!/usr/bin/env bash
# Installs the offline checkers of the Kubernetes manifests, from PyPI, into a virtual
# environment of their own, and prints its bin directory (scripts/k8s-check runs them from
# there): kubernetes-validate (the resources against the API schemas of many Kubernetes
# versions) and checkov (security policies, the restricted Pod Security Standard's among them).
# Idempotent: does nothing when these versions are installed.
#
#   scripts/install-k8s-tools.sh     # into ${XDG_CACHE_HOME:-~/.cache}/votelab/k8s-tools
set -euo pipefail

# Pinned: a new release of either may add checks or schemas that change the verdict.
packages=(kubernetes-validate==1.37.0 checkov==3.3.30)
venv=${XDG_CACHE_HOME:-$HOME/.cache}/votelab/k8s-tools
stamp=$venv/installed

if [ "$(cat "$stamp" 2>/dev/null)" != "${packages[*]}" ]; then
    rm -rf "$venv"
    # (Debian's own python3 needs the python3-venv package for this.)
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}" >&2
    echo "${packages[*]}" >"$stamp"
    echo "installed ${packages[*]} in $venv" >&2
fi
echo "$venv/bin"
