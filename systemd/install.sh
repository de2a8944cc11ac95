#!/usr/bin/env bash
# Installs orsight as a systemd service on this box (run as root from a checkout):
#   systemd/install.sh [--prefix /opt/orsight] [--no-start] [--gpu]
# Copies the code to the prefix, installs dependencies (bin/setup), creates the `orsight`
# system user, /etc/orsight (config) and /var/lib/orsight (data), links orsight, orsightd
# and orsight-central into /usr/local/bin, and enables orsightd.service.
# --gpu also installs @tensorflow/tfjs-node-gpu (its install fetches libtensorflow: needs
# the internet or a local mirror via TFJS_NODE_CDN_STORAGE / TF_BINARY_URL).
set -euo pipefail
src="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
prefix=/opt/orsight start=1 gpu=0
while (($#)); do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --no-start) start=0; shift ;;
    --gpu) gpu=1; shift ;;
    *) echo "usage: $0 [--prefix DIR] [--no-start] [--gpu]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "install.sh: run as root" >&2; exit 1; }

if [[ "$src" != "$prefix" ]]; then
  mkdir -p "$prefix"
  tar -C "$src" --exclude=./node_modules --exclude=./data --exclude=./.git --exclude=./test-results -cf - . | tar -C "$prefix" -xf -
fi
"$prefix/bin/setup"
if ((gpu)); then
  (cd "$prefix" && npm install --no-save --allow-scripts=@tensorflow/tfjs-node-gpu @tensorflow/tfjs-node-gpu)
fi

getent group orsight >/dev/null || groupadd --system orsight
getent passwd orsight >/dev/null ||
  useradd --system --gid orsight --home-dir /var/lib/orsight --no-create-home --shell /usr/sbin/nologin orsight
for g in video render; do getent group "$g" >/dev/null && usermod -aG "$g" orsight || true; done

install -d -m 0750 -o root -g orsight /etc/orsight
install -d -m 0750 -o orsight -g orsight /var/lib/orsight
if [[ ! -f /etc/orsight/orsight.yaml ]]; then
  sed -e 's#^  data_dir: .*#  data_dir: /var/lib/orsight#' -e 's#^  host: 127.0.0.1#  host: 0.0.0.0#' \
    "$prefix/config/orsight.example.yaml" >/etc/orsight/orsight.yaml
  chown root:orsight /etc/orsight/orsight.yaml
  chmod 0640 /etc/orsight/orsight.yaml
fi
"$prefix/bin/orsight" config check /etc/orsight/orsight.yaml

for b in orsight orsightd orsight-central; do
  [[ -x "$prefix/bin/$b" ]] && ln -sf "$prefix/bin/$b" "/usr/local/bin/$b"
done
install -m 0644 "$prefix/systemd/orsightd.service" /etc/systemd/system/orsightd.service
systemctl daemon-reload
systemctl enable orsightd.service
((start)) && systemctl restart orsightd.service
echo "orsight installed in $prefix; create the first admin with: orsight user add --role admin NAME"
