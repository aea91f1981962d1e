#!/usr/bin/env bash
# Remove vstation's services, browser policy, PAM session, udev rules and program.
# The station's configuration and data (/etc/vstation, /var/lib/vstation with its
# backups) are left in place unless --purge is given.
#
#   sudo systemd/uninstall.sh [--purge]
#   systemd/uninstall.sh --root DIR [--purge]
set -euo pipefail

ROOT=/
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a folder}"; shift 2 ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$ROOT" && pwd)"
R="${ROOT%/}"
LIVE=0; [ "$ROOT" = / ] && LIVE=1
if [ "$LIVE" = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "uninstall.sh: run it as root (sudo $0 $*)" >&2
  exit 1
fi

UNITS=(vstation-browser.service vstation-kiosk.service vstation-sync.service vstation-backup.timer vstation-backup.service)
if [ "$LIVE" = 1 ]; then
  systemctl disable --now "${UNITS[@]}" 2>/dev/null || true
else
  systemctl --root="$ROOT" disable "${UNITS[@]}" >/dev/null 2>&1 || true
fi
for u in "${UNITS[@]}"; do rm -f "$R/etc/systemd/system/$u"; done
rm -f "$R/etc/chromium/policies/managed/vstation.json" "$R/etc/pam.d/vstation-browser" \
      "$R/etc/udev/rules.d/60-vstation-gpio.rules" "$R/etc/udev/rules.d/99-vstation-devices.rules" \
      "$R/usr/local/bin/vstation"
rm -rf "$R/opt/vstation" "$R/usr/share/doc/vstation" "$R/var/lib/vstation-browser"
if [ "$LIVE" = 1 ]; then
  systemctl daemon-reload
  udevadm control --reload || true
fi

if [ "$PURGE" = 1 ]; then
  rm -rf "$R/etc/vstation" "$R/var/lib/vstation"
  if [ "$LIVE" = 1 ]; then
    userdel vstation-browser 2>/dev/null || true
    userdel vstation 2>/dev/null || true
  fi
  echo "vstation: removed, with its configuration, data and backups (--purge)"
else
  echo "vstation: removed; configuration and data kept in /etc/vstation and /var/lib/vstation"
  echo "          (run again with --purge to delete them too)"
fi
