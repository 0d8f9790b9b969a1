#!/usr/bin/env bash
# start-sshd.sh - Debian's OpenSSH server on 127.0.0.1:PORT in front of the local Slurm and Grid
# Engine, for the remote-pool tests ([pool.scheduler.ssh]). Its own configuration, host key,
# client key and authorized_keys under $DIR; no systemd, no change to /etc/ssh.
#
# Sessions get the scheduler PATH and SGE_ROOT/SGE_CELL through sshd's SetEnv, so a test can run
# autopilot with a PATH that has no sbatch/qsub and still reach both schedulers, only through ssh.
# Writes two known_hosts files: the right one, and one with another key (the wrong-host-key test).
#
# Idempotent: installs the package if missing; keeps the generated keys; leaves a running server
# alone when it answers with the expected host key, else (re)starts it. Fails loudly when it cannot.
#
# Environment: AUTOPILOT_TEST_SSHD_PORT (2222).
set -euo pipefail
LOG_TAG=start-sshd
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

PORT="${AUTOPILOT_TEST_SSHD_PORT:-2222}"
case "$PORT" in ''|*[!0-9]*) die "AUTOPILOT_TEST_SSHD_PORT must be a port number (got $PORT)";; esac
DIR=$STATE_ROOT/sshd/$PORT
PID_FILE=$DIR/sshd.pid
LOG_FILE=$DIR/sshd.log
USER_NAME=$(id -un)

[ -x /usr/sbin/sshd ] || apt_install openssh-server
[ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd missing after installing openssh-server"
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || apt_install openssh-client

# Without PAM (no login session machinery here), sshd refuses an account whose password field is
# locked with '!', even for a key: say so rather than fail later with "account is locked".
if [ "$(getent shadow "$USER_NAME" | cut -d: -f2 | cut -c1)" = "!" ]; then
  die "account $USER_NAME is locked ('!' in /etc/shadow), which sshd without PAM refuses even with a key; unlock it without a password: usermod -p '*' $USER_NAME"
fi

# sshd's StrictModes wants the key folders owned by root and not group/world-writable.
install -d -m 0755 "$STATE_ROOT/sshd"
install -d -m 0700 "$DIR"
# Privilege separation directory (normally made by the systemd unit).
install -d -m 0755 /run/sshd

[ -s "$DIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C autopilot-test-host -f "$DIR/host_ed25519" >/dev/null
[ -s "$DIR/other_host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C autopilot-test-other-host -f "$DIR/other_host_ed25519" >/dev/null
[ -s "$DIR/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C autopilot-test-client -f "$DIR/client_ed25519" >/dev/null
chmod 0600 "$DIR/host_ed25519" "$DIR/other_host_ed25519" "$DIR/client_ed25519"
cp "$DIR/client_ed25519.pub" "$DIR/authorized_keys"
chmod 0600 "$DIR/authorized_keys"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$DIR/host_ed25519.pub")" > "$DIR/known_hosts"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$DIR/other_host_ed25519.pub")" > "$DIR/wrong_known_hosts"
chmod 0644 "$DIR/known_hosts" "$DIR/wrong_known_hosts"

# The session environment: where the scheduler commands are, and which Grid Engine cell.
SCHED_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
command -v sbatch >/dev/null || die "sbatch not on PATH: run start-slurm.sh first"
command -v qsub >/dev/null || die "qsub not on PATH: run start-sge.sh first"
for d in "$(dirname "$(command -v sbatch)")" "$(dirname "$(readlink -f "$(command -v qsub)")")"; do
  case ":$SCHED_PATH:" in *":$d:"*) ;; *) SCHED_PATH=$SCHED_PATH:$d;; esac
done

cat > "$DIR/sshd_config" <<CONF
# Written by tests/infra/start-sshd.sh.
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_ed25519
PidFile $PID_FILE
AuthorizedKeysFile $DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $USER_NAME
UsePAM no
StrictModes yes
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTTY no
# Several commands of one tick share one master connection.
MaxSessions 64
MaxStartups 64:30:128
SetEnv PATH=$SCHED_PATH SGE_ROOT=${SGE_ROOT:-/var/lib/gridengine} SGE_CELL=${SGE_CELL:-default}
LogLevel INFO
CONF
/usr/sbin/sshd -t -f "$DIR/sshd_config" || die "sshd -t rejects $DIR/sshd_config"

ssh_args=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$DIR/known_hosts"
  -o IdentitiesOnly=yes -i "$DIR/client_ed25519" -o ConnectTimeout=5 -p "$PORT" -l "$USER_NAME" 127.0.0.1)
answers() { ssh "${ssh_args[@]}" -- true </dev/null >/dev/null 2>&1; }

if pid_alive "$PID_FILE" sshd && answers; then
  log "sshd already running on 127.0.0.1:$PORT (pid $(pid_of "$PID_FILE"))"
else
  stop_pidfile "$PID_FILE" sshd
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is taken by another program; set AUTOPILOT_TEST_SSHD_PORT"
  fi
  log "starting sshd on 127.0.0.1:$PORT"
  # sshd daemonizes itself and writes PidFile; -E keeps its log out of syslog.
  /usr/sbin/sshd -f "$DIR/sshd_config" -E "$LOG_FILE" </dev/null || { tail -n 20 "$LOG_FILE" >&2 || true; die "sshd did not start (log: $LOG_FILE)"; }
  for i in $(seq 1 100); do
    answers && break
    sleep 0.1
  done
  answers || { tail -n 20 "$LOG_FILE" >&2 || true; die "sshd on 127.0.0.1:$PORT does not accept the test key (log: $LOG_FILE)"; }
fi

# Both schedulers answer through it, and a wrong host key is refused.
ssh "${ssh_args[@]}" -- 'sbatch --version && qstat -help >/dev/null && squeue -h -o %i --me >/dev/null' </dev/null >/dev/null \
  || die "sbatch/qstat/squeue do not run over ssh on 127.0.0.1:$PORT"
if ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$DIR/wrong_known_hosts" \
  -o IdentitiesOnly=yes -i "$DIR/client_ed25519" -p "$PORT" -l "$USER_NAME" 127.0.0.1 -- true </dev/null >/dev/null 2>&1; then
  die "ssh accepted a wrong host key on 127.0.0.1:$PORT"
fi
log "sshd ready on 127.0.0.1:$PORT (user $USER_NAME, key $DIR/client_ed25519, known_hosts $DIR/known_hosts)"
