#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 for the tests: munged, slurmctld and slurmd from Debian's slurm-wlm, run as
# plain background daemons (no systemd), everything under one folder, no file outside it touched.
#   .ci/slurm.sh start    start it (nothing to do when it already answers), wait until the node is idle
#   .ci/slurm.sh stop     stop the daemons this folder's pid files name
#   .ci/slurm.sh status   exit 0 and print sinfo when the node answers, exit 1 otherwise
#   .ci/slurm.sh env      print the line that points Slurm's commands at this cluster (export SLURM_CONF=...)
#   .ci/slurm.sh install  apt-get install slurm-wlm (as root, when it is not installed yet)
# Settings that work without cgroups or systemd (a container, gVisor): proctrack/linuxproc, task/none,
# select/cons_tres with CR_CPU, the daemons and jobs as root, state in /var/tmp. The node has $LEREC_SLURM_CPUS CPUs
# (default 2) in one partition, "lerec". Clients find the cluster through SLURM_CONF=$LEREC_SLURM_DIR/slurm.conf.
# Environment: LEREC_SLURM_DIR (default /var/tmp/lerec-slurm), LEREC_SLURM_CPUS, LEREC_SLURM_PORT (slurmctld's
# port, default 6817; slurmd uses the next one), LEREC_SLURM_WAIT (seconds to wait for the node, default 60).
# Exit status of start: 0 when the node is idle, 2 when slurm-wlm is not installed, 1 when it was and did not start
# (the last lines of the daemons' logs are printed, and the daemons it started are stopped again).
set -uo pipefail
DIR=${LEREC_SLURM_DIR:-/var/tmp/lerec-slurm}
CPUS=${LEREC_SLURM_CPUS:-2}
PORT=${LEREC_SLURM_PORT:-6817}
WAIT=${LEREC_SLURM_WAIT:-60}
NODE=lerec-node
export SLURM_CONF=$DIR/slurm.conf

say() { echo "slurm.sh: $*" >&2; }

answers() {  # the node is up and idle (or running jobs), in the partition
    [ -f "$SLURM_CONF" ] || return 1
    local state
    state=$(timeout 10 sinfo -h -n "$NODE" -o %t 2>/dev/null) || return 1
    # Exactly these: a suffix (idle* and the like) means not responding, draining, powered down...
    case $state in idle|mix|alloc|comp) return 0 ;; *) return 1 ;; esac
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_config() {
    mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/log"
    chmod 0700 "$DIR/munge"
    if [ ! -s "$DIR/munge/munge.key" ]; then
        (umask 077 && head -c 1024 /dev/urandom > "$DIR/munge/munge.key")
    fi
    local memory
    memory=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
    cat > "$SLURM_CONF" <<EOF
# Written by .ci/slurm.sh: a one-node cluster on 127.0.0.1 for lerec's tests.
ClusterName=lerec
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SwitchType=switch/none
MpiDefault=none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$NODE NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$memory State=UNKNOWN
PartitionName=lerec Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

logs() {
    local log
    for log in "$DIR"/log/*.log; do
        [ -f "$log" ] || continue
        say "last lines of $log:"
        grep -v -e 'mpi/pmix' -e 'MPI: Cannot create context' "$log" | tail -n 6 | sed 's/^/    /' >&2
    done
}

start() {
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
        say "slurm-wlm is not installed (slurmctld, slurmd, munged): apt-get install slurm-wlm"
        return 2
    fi
    if answers; then
        say "already running (SLURM_CONF=$SLURM_CONF)"
        return 0
    fi
    write_config
    if ! alive "$DIR/munged.pid"; then
        munged --force --socket="$DIR/munge/munge.socket" --key-file="$DIR/munge/munge.key" \
            --pid-file="$DIR/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/seed" \
            || { say "munged did not start"; logs; stop; return 1; }
    fi
    # -c: forget jobs a killed cluster left in its state (each start is a clean cluster).
    alive "$DIR/slurmctld.pid" || slurmctld -c -i || { say "slurmctld did not start"; logs; stop; return 1; }
    alive "$DIR/slurmd.pid" || slurmd -N "$NODE" -c || { say "slurmd did not start"; logs; stop; return 1; }
    local begin=$SECONDS
    until answers; do
        if [ $((SECONDS - begin)) -ge "$WAIT" ]; then
            say "the node is not idle after $WAIT s: $(timeout 10 sinfo -h -o '%N %t %E' 2>&1)"
            logs
            stop
            return 1
        fi
        sleep 1
    done
    say "node $NODE idle after $((SECONDS - begin)) s ($CPUS CPUs, partition lerec, SLURM_CONF=$SLURM_CONF)"
}

install() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && return 0
    [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null \
        || { say "slurm-wlm is not installed, and installing it needs root and apt-get"; return 2; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends slurm-wlm >/dev/null \
        || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends slurm-wlm >/dev/null; } \
        || { say "apt-get install slurm-wlm failed"; return 1; }
    say "installed $(dpkg-query -W -f '${Package} ${Version}' slurm-wlm)"
}

stop_one() {  # stop_one NAME: TERM the pid its pid file names, then KILL after 10 s
    local file=$DIR/$1.pid pid i
    alive "$file" || { rm -f "$file"; return 0; }
    pid=$(cat "$file")
    kill "$pid" 2>/dev/null
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    rm -f "$file"
}

stop() {
    [ -f "$SLURM_CONF" ] && timeout 10 scancel --quiet --partition=lerec 2>/dev/null
    stop_one slurmd
    stop_one slurmctld
    stop_one munged
    say "stopped"
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) answers && timeout 10 sinfo ;;
    env) echo "export SLURM_CONF=$SLURM_CONF" ;;
    install) install ;;
    *) echo "usage: $0 start|stop|status|env|install" >&2; exit 64 ;;
esac
