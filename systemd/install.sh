#!/usr/bin/env bash
# Install (or update) vstation on Raspberry Pi OS / Debian 12 "Bookworm" (Pi 4, Pi 5, Zero 2 W).
# Idempotent: run it again after `git pull` to update. Never overwrites /etc/vstation/station.toml
# nor the device rules you edited. See docs/operations.md.
#
#   sudo systemd/install.sh [--station-id ID] [--browser chromium|cog] [--no-browser] [--no-start]
#   systemd/install.sh --root DIR [--vstation PATH]     # into an image or a test folder: no apt,
#                                                       # no users, no systemctl start (enable only)
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'EOF'
options:
  --root DIR        install below DIR instead of / (image building, tests)
  --station-id ID   station id for a new station.toml (default: my-station-01)
  --vstation PATH   use this vstation command instead of creating /opt/vstation/venv
  --browser NAME    chromium (default: Chromium under cage) or cog (WPE WebKit on DRM, for a
                    Pi Zero 2 W: half Chromium's memory)
  --no-browser      headless station: do not enable the touchscreen browser
  --no-start        enable the services but do not start them now
EOF
}

ROOT=/
STATION_ID=my-station-01
VSTATION=""
BROWSER=1
ENGINE=chromium
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a folder}"; shift 2 ;;
    --station-id) STATION_ID="${2:?--station-id needs an id}"; shift 2 ;;
    --vstation) VSTATION="${2:?--vstation needs a path}"; shift 2 ;;
    --browser) ENGINE="${2:?--browser needs chromium or cog}"; shift 2
               case "$ENGINE" in chromium|cog) ;; *) echo "install.sh: --browser is chromium or cog, not $ENGINE" >&2; exit 2 ;; esac ;;
    --no-browser) BROWSER=0; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(mkdir -p "$ROOT" && cd "$ROOT" && pwd)"
R="${ROOT%/}"                       # prefix for every path; empty on a real install
LIVE=0; [ "$ROOT" = / ] && LIVE=1

if [ "$LIVE" = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run it as root (sudo $0 $*)" >&2
  exit 1
fi

say() { printf '  %s\n' "$*"; }
# install a file (mode, source, target) only when it differs: re-runs change nothing
put() {
  local mode="$1" from="$2" to="$R$3"
  mkdir -p "$(dirname "$to")"
  if [ -f "$to" ] && cmp -s "$from" "$to"; then return 0; fi
  install -m "$mode" "$from" "$to"
  say "installed $3"
}

echo "vstation: installing into $ROOT"

# 1. Debian packages (a live install only)
if [ "$LIVE" = 1 ]; then
  pkgs=(python3 python3-venv python3-pip python3-dev gcc curl sqlite3 fonts-noto-cjk fonts-noto-extra espeak-ng)
  # Pi 5 needs Debian's lgpio (the PyPI wheel for aarch64 is a placeholder); the venv sees it
  # because it is created with --system-site-packages.
  apt-cache show python3-lgpio >/dev/null 2>&1 && pkgs+=(python3-lgpio)
  if [ "$BROWSER" = 1 ]; then
    if [ "$ENGINE" = cog ]; then pkgs+=(cog)
    else
      pkgs+=(cage)
      if apt-cache show chromium >/dev/null 2>&1; then pkgs+=(chromium); else pkgs+=(chromium-browser); fi
    fi
  fi
  "$SRC/scripts/apt-install.sh" "${pkgs[@]}"
fi

# 2. users and groups
if [ "$LIVE" = 1 ]; then
  for g in gpio lp dialout input video render; do getent group "$g" >/dev/null || groupadd --system "$g"; done
  if ! id -u vstation >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/vstation --no-create-home --shell /usr/sbin/nologin \
      --comment "vstation kiosk and sync" vstation
    say "created user vstation"
  fi
  usermod -a -G dialout,gpio,lp,input vstation
  if [ "$BROWSER" = 1 ] && ! id -u vstation-browser >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/vstation-browser --create-home --shell /usr/sbin/nologin \
      --comment "vstation touchscreen browser" vstation-browser
    say "created user vstation-browser"
  fi
  [ "$BROWSER" = 1 ] && usermod -a -G video,render,input vstation-browser
else
  say "(--root: users vstation and vstation-browser are created on the device itself)"
fi
own() { if [ "$LIVE" = 1 ]; then chown "$@"; fi; }

# 3. folders: config (root-owned, readable by the services), data (the only writable place)
mkdir -p "$R/etc/vstation" "$R/var/lib/vstation/backups" "$R/var/lib/vstation-browser"
chmod 0750 "$R/etc/vstation" "$R/var/lib/vstation" "$R/var/lib/vstation/backups"
own root:vstation "$R/etc/vstation"
own vstation:vstation "$R/var/lib/vstation" "$R/var/lib/vstation/backups"
[ "$BROWSER" = 1 ] && own vstation-browser:vstation-browser "$R/var/lib/vstation-browser"

# 4. the program: a venv that also sees Debian's python3-lgpio, or a given vstation
BIN="$R/opt/vstation/venv/bin"
if [ -n "$VSTATION" ]; then
  mkdir -p "$BIN"
  printf '#!/bin/sh\nexec %s "$@"\n' "$VSTATION" >"$BIN/vstation.new"
  chmod 0755 "$BIN/vstation.new"
  mv "$BIN/vstation.new" "$BIN/vstation"
else
  [ -x "$BIN/python" ] || python3 -m venv --system-site-packages "$R/opt/vstation/venv"
  "$BIN/python" -m pip install --quiet --upgrade pip
  "$BIN/python" -m pip install --quiet --upgrade "$SRC"
  say "installed vstation $("$BIN/vstation" --version) in /opt/vstation/venv"
fi
# `vstation …` for people: runs as the service user, so files it creates stay the services' own
mkdir -p "$R/usr/local/bin"
cat >"$R/usr/local/bin/vstation.new" <<'EOF'
#!/bin/sh
# installed by vstation's install.sh: run the command as the vstation user
export VSTATION_CONFIG="${VSTATION_CONFIG:-/etc/vstation/station.toml}"
if [ "$(id -u)" = 0 ]; then exec runuser -u vstation -- /opt/vstation/venv/bin/vstation "$@"; fi
exec /opt/vstation/venv/bin/vstation "$@"
EOF
chmod 0755 "$R/usr/local/bin/vstation.new"
mv "$R/usr/local/bin/vstation.new" "$R/usr/local/bin/vstation"

# 5. the station's configuration: written once, never overwritten
CONF="$R/etc/vstation/station.toml"
if [ -e "$CONF" ]; then
  say "kept /etc/vstation/station.toml (never overwritten)"
else
  "$BIN/vstation" --config "$CONF" init --database "$R/var/lib/vstation/station.db" --station-id "$STATION_ID" >/dev/null
  [ -n "$R" ] && sed -i "s#^path = \"$R/#path = \"/#" "$CONF"
  chmod 0640 "$CONF"
  own root:vstation "$CONF"
  own vstation:vstation "$R/var/lib/vstation/station.db"
  say "wrote /etc/vstation/station.toml (station $STATION_ID): edit it, then run: sudo vstation check"
fi

# the kiosk's address, from [kiosk] listen, for the browser unit and the Chromium policy
LISTEN="$(python3 - "$CONF" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print(tomllib.load(f).get("kiosk", {}).get("listen", "127.0.0.1:8080"))
EOF
)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
UNIT=vstation-browser.service
[ "$ENGINE" = cog ] && UNIT=vstation-browser-cog.service
sed "s#127\.0\.0\.1:8080#$LISTEN#g" "$SRC/systemd/$UNIT" >"$TMP/vstation-browser.service"
sed "s#127\.0\.0\.1:8080#$LISTEN#g" "$SRC/systemd/chromium/vstation.json" >"$TMP/vstation.json"
CHROMIUM=/usr/bin/chromium
[ "$LIVE" = 1 ] && [ ! -x /usr/bin/chromium ] && [ -x /usr/bin/chromium-browser ] && CHROMIUM=/usr/bin/chromium-browser
sed -i "s#/usr/bin/chromium #$CHROMIUM #" "$TMP/vstation-browser.service"

# 6. units, browser policy, PAM session, udev rules, the operator guide
for u in vstation-kiosk.service vstation-sync.service vstation-backup.service vstation-backup.timer; do
  put 0644 "$SRC/systemd/$u" "/etc/systemd/system/$u"
done
put 0644 "$TMP/vstation-browser.service" /etc/systemd/system/vstation-browser.service
put 0644 "$TMP/vstation.json" /etc/chromium/policies/managed/vstation.json
put 0644 "$SRC/systemd/pam/vstation-browser" /etc/pam.d/vstation-browser
put 0644 "$SRC/systemd/udev/60-vstation-gpio.rules" /etc/udev/rules.d/60-vstation-gpio.rules
if [ -e "$R/etc/udev/rules.d/99-vstation-devices.rules" ]; then
  say "kept /etc/udev/rules.d/99-vstation-devices.rules (yours to edit)"
else
  put 0644 "$SRC/systemd/udev/99-vstation-devices.rules" /etc/udev/rules.d/99-vstation-devices.rules
fi
put 0644 "$SRC/docs/operations.md" /usr/share/doc/vstation/operations.md

# 7. enable (and start)
UNITS=(vstation-kiosk.service vstation-sync.service vstation-backup.timer)
[ "$BROWSER" = 1 ] && UNITS+=(vstation-browser.service)
if [ "$LIVE" = 1 ]; then
  if udevadm control --reload; then
    udevadm trigger --subsystem-match=usb --subsystem-match=tty --subsystem-match=gpio --subsystem-match=input
  fi
  systemctl daemon-reload
  if [ "$START" = 1 ]; then
    systemctl enable --now "${UNITS[@]}"
    systemctl try-restart vstation-kiosk.service vstation-sync.service   # an update takes effect now
  else
    systemctl enable "${UNITS[@]}"
  fi
  [ "$BROWSER" = 1 ] && systemctl set-default graphical.target >/dev/null
  echo "vstation: installed. Check it with: sudo vstation check ; logs: journalctl -u 'vstation-*' -f"
else
  systemctl --root="$ROOT" enable "${UNITS[@]}" >/dev/null 2>&1 || say "(systemctl --root not available: units not enabled)"
  echo "vstation: installed into $ROOT (enabled, not started)"
fi
