#!/usr/bin/env bash
# install.sh - publish Autopilot (ReadyToRun) and install it; idempotent; --uninstall reverses it.
#
#   deploy/install.sh [--prefix DIR] [--bindir DIR] [--state-dir DIR] [--config-dir DIR]
#                     [--user NAME] [--systemd | --timer | --cron] [--no-build] [--uninstall]
#
# As root the defaults are /opt/autopilot, /usr/local/bin, /var/lib/autopilot, /etc/autopilot;
# as a normal user ~/.local/lib/autopilot, ~/.local/bin, ~/.local/state/autopilot, ~/.config/autopilot.
#   --systemd    install and enable autopilot.service (root; runs as --user, default 'autopilot')
#   --timer      install and enable autopilot-tick.timer instead (oneshot tick every minute)
#   --cron       add the `* * * * * autopilot tick` line to the user's crontab
#   --no-build   install an existing publish folder (--from DIR) instead of running dotnet publish
# Existing configuration and state are never overwritten or removed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
if [ "$(id -u)" -eq 0 ]; then
  prefix=/opt/autopilot; bindir=/usr/local/bin; state=/var/lib/autopilot; confdir=/etc/autopilot
else
  prefix="$HOME/.local/lib/autopilot"; bindir="$HOME/.local/bin"; state="$HOME/.local/state/autopilot"; confdir="$HOME/.config/autopilot"
fi
svc_user=autopilot mode="" build=1 from="" uninstall=0 unitdir=/etc/systemd/system

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift ;;
    --bindir) bindir=$2; shift ;;
    --state-dir) state=$2; shift ;;
    --config-dir) confdir=$2; shift ;;
    --unit-dir) unitdir=$2; shift ;;
    --user) svc_user=$2; shift ;;
    --systemd) mode=systemd ;;
    --timer) mode=timer ;;
    --cron) mode=cron ;;
    --no-build) build=0 ;;
    --from) from=$2; shift ;;
    --uninstall) uninstall=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

cron_line="* * * * * $bindir/autopilot tick -q --config $confdir/autopilot.toml"

if [ "$uninstall" = 1 ]; then
  if [ -d "$unitdir" ] && [ "$(id -u)" -eq 0 ]; then
    for u in autopilot.service autopilot-tick.service autopilot-tick.timer; do
      if [ -e "$unitdir/$u" ]; then
        command -v systemctl >/dev/null && systemctl disable --now "$u" >/dev/null 2>&1 || true
        rm -f "$unitdir/$u"; say "removed $unitdir/$u"
      fi
    done
  fi
  if command -v crontab >/dev/null && crontab -l 2>/dev/null | grep -qF "autopilot tick"; then
    crontab -l 2>/dev/null | grep -vF "autopilot tick" | crontab - && say "removed the crontab line"
  fi
  [ -L "$bindir/autopilot" ] && rm -f "$bindir/autopilot" && say "removed $bindir/autopilot"
  [ -d "$prefix" ] && rm -rf "$prefix" && say "removed $prefix"
  say "kept configuration in $confdir and state in $state (remove by hand if wanted)"
  exit 0
fi

# ---------------------------------------------------------------- publish
if [ "$build" = 1 ]; then
  command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is needed to build; or pass --no-build --from DIR"
  from=$(mktemp -d)
  trap 'rm -rf "$from"' EXIT
  say "publishing (ReadyToRun) ..."
  dotnet publish "$repo/src/Autopilot.Cli/Autopilot.Cli.csproj" -c Release -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -o "$from" -v quiet -nologo >/dev/null
fi
[ -n "$from" ] && [ -x "$from/autopilot" ] || die "no published autopilot in '${from:-}'"

install -d -m 0755 "$prefix" "$bindir"
rm -rf "$prefix/app.new"
cp -a "$from" "$prefix/app.new"
rm -rf "$prefix/app.old"
[ -d "$prefix/app" ] && mv "$prefix/app" "$prefix/app.old"
mv "$prefix/app.new" "$prefix/app"          # swap in one rename: a running tick keeps its files
rm -rf "$prefix/app.old"
rm -rf "$prefix/bin-templates" "$prefix/docs"
cp -a "$repo/bin-templates" "$prefix/bin-templates"
[ -d "$repo/docs" ] && cp -a "$repo/docs" "$prefix/docs"
ln -sfn "$prefix/app/autopilot" "$bindir/autopilot"
say "installed $prefix/app, linked $bindir/autopilot"

# ---------------------------------------------------------------- state and configuration
owner=""
if [ "$(id -u)" -eq 0 ] && [ "$mode" = systemd -o "$mode" = timer ]; then
  if ! id "$svc_user" >/dev/null 2>&1; then
    useradd --system --home-dir "$state" --shell /usr/sbin/nologin "$svc_user"
    say "created system user $svc_user"
  fi
  owner=$svc_user
fi
install -d -m 0700 "$state"
[ -n "$owner" ] && chown "$owner:" "$state"
install -d -m 0755 "$confdir"
if [ ! -e "$confdir/autopilot.toml" ]; then
  sed "s|^state_dir = .*|state_dir = \"$state\"|" "$repo/autopilot.toml.example" > "$confdir/autopilot.toml"
  chmod 0640 "$confdir/autopilot.toml"
  [ -n "$owner" ] && chgrp "$owner" "$confdir/autopilot.toml"
  say "wrote $confdir/autopilot.toml from the example: edit it, then run: autopilot check --config $confdir/autopilot.toml"
else
  say "kept existing $confdir/autopilot.toml"
fi

# ---------------------------------------------------------------- scheduling
case "$mode" in
  systemd|timer)
    [ "$(id -u)" -eq 0 ] || die "--$mode needs root (system units); as a user use --cron"
    install -d "$unitdir"
    units=(autopilot.service); [ "$mode" = timer ] && units=(autopilot-tick.service autopilot-tick.timer)
    for u in "${units[@]}"; do
      sed -e "s|/usr/local/bin/autopilot|$bindir/autopilot|g" -e "s|/etc/autopilot/|$confdir/|g" \
          -e "s|/var/lib/autopilot|$state|g" -e "s|^User=autopilot|User=$svc_user|" -e "s|^Group=autopilot|Group=$svc_user|" \
          "$here/systemd/$u" > "$unitdir/$u"
      say "installed $unitdir/$u"
    done
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
      systemctl daemon-reload
      systemctl enable --now "${units[-1]}"
      say "enabled ${units[-1]}"
    else
      say "systemd is not running here: enable later with systemctl enable --now ${units[-1]}"
    fi
    ;;
  cron)
    command -v crontab >/dev/null || die "crontab not found (Debian: apt-get install cron)"
    if crontab -l 2>/dev/null | grep -qF "autopilot tick"; then
      say "crontab already has an autopilot tick line"
    else
      { crontab -l 2>/dev/null || true; echo "$cron_line"; } | crontab -
      say "added to crontab: $cron_line"
    fi
    ;;
esac
say "done. Check the configuration: $bindir/autopilot check --config $confdir/autopilot.toml"
