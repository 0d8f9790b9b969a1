#!/usr/bin/env bash
# install.sh - publish Autopilot (Native AOT) and install it; idempotent; --uninstall reverses it.
#
#   deploy/install.sh [--prefix DIR] [--bindir DIR] [--state-dir DIR] [--config-dir DIR]
#                     [--user NAME] [--systemd | --timer | --cron] [--no-build] [--readytorun] [--uninstall]
#
# As root the defaults are /opt/autopilot, /usr/local/bin, /var/lib/autopilot, /etc/autopilot;
# as a normal user ~/.local/lib/autopilot, ~/.local/bin, ~/.local/state/autopilot, ~/.config/autopilot.
#   --systemd    install and enable autopilot.service (root; runs as --user, default 'autopilot')
#   --timer      install and enable autopilot-tick.timer instead (oneshot tick every minute)
#   --cron       add the `* * * * * autopilot tick` line to the user's crontab
#   --no-build   install an existing publish folder (--from DIR) instead of running dotnet publish
#   --readytorun publish the framework-dependent ReadyToRun build instead of the Native AOT binary
# The Native AOT build needs a C toolchain (clang or gcc, and objcopy; Debian: apt-get install clang);
# where it is missing, the ReadyToRun build (which needs the .NET runtime) is installed instead and
# install.sh says so.
# Installed beside autopilot: autopilot-kubectl-exec, the internal helper `autopilot kubectl-exec` runs.
# Existing configuration and state are never overwritten or removed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
if [ "$(id -u)" -eq 0 ]; then
  prefix=/opt/autopilot; bindir=/usr/local/bin; state=/var/lib/autopilot; confdir=/etc/autopilot
else
  prefix="$HOME/.local/lib/autopilot"; bindir="$HOME/.local/bin"; state="$HOME/.local/state/autopilot"; confdir="$HOME/.config/autopilot"
fi
svc_user=autopilot mode="" build=1 from="" uninstall=0 unitdir=/etc/systemd/system flavour=aot

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
    --readytorun) flavour=readytorun ;;
    --from) from=$2; shift ;;
    --uninstall) uninstall=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

cron_line="* * * * * $bindir/autopilot tick -q --config $confdir/autopilot.toml"
# systemd is running here and --unit-dir is where it loads system units from.
live_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null && [ "$unitdir" = /etc/systemd/system ]; }

if [ "$uninstall" = 1 ]; then
  if [ -d "$unitdir" ] && [ "$(id -u)" -eq 0 ]; then
    for u in autopilot-tick.timer autopilot.service autopilot-tick.service; do
      if [ -e "$unitdir/$u" ]; then
        # Only units systemd itself loads are stopped: a unit copy elsewhere is just a file.
        if live_systemd; then systemctl disable --now "$u" >/dev/null 2>&1 || true; fi
        rm -f "$unitdir/$u"; say "removed $unitdir/$u"
      fi
    done
    if live_systemd; then systemctl daemon-reload; fi
  fi
  # Only this installation's line (its bindir), never another copy's.
  if command -v crontab >/dev/null && crontab -l 2>/dev/null | grep -qF "$bindir/autopilot tick"; then
    crontab -l 2>/dev/null | grep -vF "$bindir/autopilot tick" | crontab - && say "removed the crontab line"
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
  publog=$(mktemp)
  trap 'rm -rf "$from" "$publog"' EXIT
  # The ILCompiler links with clang (or gcc when clang is absent) and strips with objcopy.
  if [ "$flavour" = aot ] && ! { { command -v clang || command -v gcc; } && { command -v objcopy || command -v llvm-objcopy; }; } >/dev/null 2>&1; then
    flavour=readytorun
    say "the Native AOT toolchain is missing (clang or gcc, and objcopy; Debian: apt-get install clang): installing the ReadyToRun build instead, which needs the .NET 10 runtime"
  fi
  if [ "$flavour" = aot ]; then
    say "publishing (Native AOT) ..."
    publish=(-p:PublishAot=true)
  else
    say "publishing (ReadyToRun) ..."
    publish=(--self-contained false -p:PublishAot=false -p:PublishReadyToRun=true)
  fi
  # autopilot, and beside it autopilot-kubectl-exec: the helper `autopilot kubectl-exec` runs from its
  # own folder (it holds the Kubernetes client, which would double the size of every autopilot process).
  for project in Autopilot.Cli Autopilot.Kubectl; do
    if ! dotnet publish "$repo/src/$project/$project.csproj" -c Release -r linux-x64 "${publish[@]}" \
        -o "$from" -nologo >"$publog" 2>&1; then
      tail -n 30 "$publog" >&2
      die "dotnet publish of src/$project failed (above)"
    fi
  done
fi
[ -n "$from" ] && [ -x "$from/autopilot" ] || die "no published autopilot in '${from:-}'"
[ -x "$from/autopilot-kubectl-exec" ] || die "no published autopilot-kubectl-exec in '$from' (publish src/Autopilot.Kubectl there too)"

install -d -m 0755 "$prefix" "$bindir"
# Each version in its own folder; $prefix/app is a symlink switched with one rename(2). A process
# started from the previous version resolved its real folder at start, so it keeps loading its own
# assemblies from there: the previous version is kept, older ones are removed.
version="app-$(date -u +%Y%m%dT%H%M%S.%N)"   # sorts by install time
rm -rf "$prefix/$version.partial"
cp -a "$from" "$prefix/$version.partial"
# The Native AOT binaries' separate debug symbols (twice their size) and the libraries' .pdb (which
# only the ReadyToRun build uses, for line numbers) are not installed.
rm -f "$prefix/$version.partial"/*.dbg
[ -e "$prefix/$version.partial/autopilot.dll" ] || rm -f "$prefix/$version.partial"/*.pdb
mv "$prefix/$version.partial" "$prefix/$version"
if [ -d "$prefix/app" ] && [ ! -L "$prefix/app" ]; then
  mv "$prefix/app" "$prefix/app-0-unversioned"     # a folder from an older install.sh
fi
ln -sfn "$version" "$prefix/app.link"
mv -Tf "$prefix/app.link" "$prefix/app"
current=$version
previous=$(ls -1d "$prefix"/app-* 2>/dev/null | grep -v '\.partial$' | sort | grep -vxF "$prefix/$current" | tail -n 1 || true)
for old in "$prefix"/app-*; do
  [ -e "$old" ] || continue
  [ "$old" = "$prefix/$current" ] || [ "$old" = "$previous" ] || rm -rf "$old"
done
rm -rf "$prefix/bin-templates" "$prefix/docs"
cp -a "$repo/bin-templates" "$prefix/bin-templates"
[ -d "$repo/docs" ] && cp -a "$repo/docs" "$prefix/docs"
ln -sfn "$prefix/app/autopilot" "$bindir/autopilot"
say "installed $prefix/$current (as $prefix/app, with its helper autopilot-kubectl-exec), linked $bindir/autopilot"

# ---------------------------------------------------------------- state and configuration
owner="" group=""
if [ "$(id -u)" -eq 0 ] && [ "$mode" = systemd -o "$mode" = timer ]; then
  if ! id "$svc_user" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$state" --shell /usr/sbin/nologin "$svc_user"
    say "created system user $svc_user"
  fi
  owner=$svc_user
  group=$(id -gn "$svc_user")   # its primary group, which need not carry its name (nobody: nogroup)
fi
install -d -m 0700 "$state"
if [ -n "$owner" ]; then chown "$owner:$group" "$state"; fi
install -d -m 0755 "$confdir"
if [ ! -e "$confdir/autopilot.toml" ]; then
  sed "s|^state_dir = .*|state_dir = \"$state\"|" "$repo/autopilot.toml.example" > "$confdir/autopilot.toml"
  chmod 0640 "$confdir/autopilot.toml"
  if [ -n "$group" ]; then chgrp "$group" "$confdir/autopilot.toml"; fi
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
          -e "s|/var/lib/autopilot|$state|g" -e "s|/opt/autopilot/|$prefix/|g" \
          -e "s|^User=autopilot|User=$svc_user|" -e "s|^Group=autopilot|Group=$group|" \
          "$here/systemd/$u" > "$unitdir/$u.tmp"
      chmod 0644 "$unitdir/$u.tmp"
      mv -f "$unitdir/$u.tmp" "$unitdir/$u"
      say "installed $unitdir/$u"
    done
    if live_systemd; then
      systemctl daemon-reload
      systemctl enable --now "${units[-1]}"
      say "enabled ${units[-1]}"
      # An upgrade: a running service picks up the new version (a tick in progress finishes first).
      if [ "$mode" = systemd ]; then systemctl try-restart autopilot.service; fi
    else
      say "systemd is not running here (or --unit-dir is not /etc/systemd/system): enable later with systemctl enable --now ${units[-1]}"
    fi
    ;;
  cron)
    command -v crontab >/dev/null || die "crontab not found (Debian: apt-get install cron)"
    if crontab -l 2>/dev/null | grep -qF "$bindir/autopilot tick"; then
      say "crontab already has an autopilot tick line"
    else
      { crontab -l 2>/dev/null || true; echo "$cron_line"; } | crontab -
      say "added to crontab: $cron_line"
    fi
    ;;
esac
say "done. Check the configuration: $bindir/autopilot check --config $confdir/autopilot.toml"
