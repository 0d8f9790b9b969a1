#!/usr/bin/env bash
# autopilot-archive.sh - copy Autopilot's log files to the site's archive with the site's own tool, from cron.
#
#   autopilot-archive.sh [--env FILE] [--dry-run]
#
# Settings come from the environment or from FILE (default: /etc/autopilot/archive.env as root,
# ~/.config/autopilot/archive.env otherwise); see archive.env.example:
#   ARCHIVE_TOOL   rclone | aws | copy      (copy: a mounted folder such as NFS, with cp)
#   ARCHIVE_DEST   remote:path (rclone) | s3://bucket/prefix (aws) | /mnt/archive/autopilot (copy)
#   STATE_DIR      Autopilot's state_dir (default /var/lib/autopilot as root, ~/.local/state/autopilot)
#   ARCHIVE_DIRS   folders of STATE_DIR to archive (default "logs pilots reports"; missing ones are skipped)
#   EXPORT_EVENTS  1: once a day also write `autopilot events --json --since 25h` to
#                  STATE_DIR/exports/events-YYYYMMDD.json (UTC date) and archive exports/ too
#   AUTOPILOT, AUTOPILOT_CONFIG   the program and its --config for EXPORT_EVENTS (default: autopilot on PATH)
#
# Nothing is ever deleted at the destination (no --delete): files Autopilot's retention removes
# locally stay archived. Files still growing (today's log, a running pilot's output) are copied
# again by the next run; a closed file is never rewritten by Autopilot (docs/operations.md,
# "Archiving logs"), so what is archived stays true.
#
# Credentials never go in the crontab, this script or the env file: rclone reads its remote from
# rclone.conf (mode 0600, or RCLONE_CONFIG), aws from ~/.aws/credentials, AWS_PROFILE or an instance role.
set -euo pipefail

die() { echo "autopilot-archive: $*" >&2; exit 2; }

env_file="" dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --env) env_file=$2; shift ;;
    --dry-run) dry_run=1 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

if [ -z "$env_file" ]; then
  if [ "$(id -u)" -eq 0 ]; then env_file=/etc/autopilot/archive.env; else env_file="$HOME/.config/autopilot/archive.env"; fi
  [ -e "$env_file" ] || env_file=""
fi
if [ -n "$env_file" ]; then
  [ -r "$env_file" ] || die "cannot read $env_file"
  # shellcheck disable=SC1090
  set -a; . "$env_file"; set +a
fi

if [ "$(id -u)" -eq 0 ]; then default_state=/var/lib/autopilot; else default_state="$HOME/.local/state/autopilot"; fi
STATE_DIR=${STATE_DIR:-$default_state}
ARCHIVE_DIRS=${ARCHIVE_DIRS:-logs pilots reports}
ARCHIVE_TOOL=${ARCHIVE_TOOL:-}
ARCHIVE_DEST=${ARCHIVE_DEST:-}
[ -n "$ARCHIVE_TOOL" ] || die "ARCHIVE_TOOL is not set (rclone, aws or copy)"
[ -n "$ARCHIVE_DEST" ] || die "ARCHIVE_DEST is not set"
[ -d "$STATE_DIR" ] || die "STATE_DIR $STATE_DIR is not a folder"
case "$ARCHIVE_TOOL" in
  rclone|aws) command -v "$ARCHIVE_TOOL" >/dev/null || die "$ARCHIVE_TOOL is not on PATH ($PATH)" ;;
  copy) ;;
  *) die "unknown ARCHIVE_TOOL '$ARCHIVE_TOOL' (rclone, aws or copy)" ;;
esac
case "$ARCHIVE_DEST" in
  *://*@*) die "ARCHIVE_DEST must not carry credentials; configure them in the tool's own config" ;;
esac

# One archive run at a time (cron may start the next while a slow upload still runs).
exec 9>"$STATE_DIR/archive.lock"
if ! flock -n 9; then
  exit 0   # the other run archives the same files; silent, so cron mails nothing
fi

dirs=$ARCHIVE_DIRS
if [ "${EXPORT_EVENTS:-0}" = 1 ]; then
  exports="$STATE_DIR/exports"
  mkdir -p -m 0700 "$exports"
  day=$(date -u +%Y%m%d)
  out="$exports/events-$day.json"
  # Written once under a new name each day, never rewritten: a failed export leaves no file.
  if [ ! -e "$out" ]; then
    config_args=()
    [ -n "${AUTOPILOT_CONFIG:-}" ] && config_args=(--config "$AUTOPILOT_CONFIG")
    "${AUTOPILOT:-autopilot}" events --json --since 25h -q "${config_args[@]}" > "$out.tmp"
    mv "$out.tmp" "$out"
  fi
  dirs="$dirs exports"
fi

status=0
for d in $dirs; do
  src="$STATE_DIR/$d"
  [ -d "$src" ] || continue
  dest="${ARCHIVE_DEST%/}/$d"
  case "$ARCHIVE_TOOL" in
    rclone) cmd=(rclone copy --no-update-modtime "$src" "$dest") ;;
    aws) cmd=(aws s3 sync --only-show-errors --no-progress "$src" "$dest") ;;
    copy) cmd=(cp -R -p -u "$src/." "$dest/") ;;
  esac
  if [ "$dry_run" = 1 ]; then
    echo "would run: ${cmd[*]}"
    continue
  fi
  [ "$ARCHIVE_TOOL" = copy ] && mkdir -p "$dest"
  if ! "${cmd[@]}"; then
    echo "autopilot-archive: '${cmd[*]}' failed" >&2
    status=1
  fi
done
exit $status
