#!/usr/bin/env bash
# End-to-end test of scripts/local-cluster: starts real redis-server clusters
# on 127.0.0.1 (ports 7300+, 7400+, 7500+, 7600+) and checks the plain, TLS
# and ACL modes, idempotency, cleanup on failure and argument validation.
#
# Usage: tests/scripts/local_cluster_test.sh
# Prints "N passed, M failed" last; exits non-zero if anything failed.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LC="$ROOT/scripts/local-cluster"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/local-cluster-test.XXXXXX")

PASSED=0
FAILED=0
USED_DIRS=()
OUT=""
RC=0

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    local d
    for d in "${USED_DIRS[@]}"; do
        "$LC" stop --dir "$d" >/dev/null 2>&1 || echo "cleanup: stopping $d failed" >&2
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() {
    PASSED=$((PASSED + 1))
    printf 'ok   - %s\n' "$1"
}

fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL - %s\n' "$1"
    if [[ -n "${2:-}" ]]; then
        printf '%s\n' "$2" | sed 's/^/       | /'
    fi
}

# run CMD...: runs a command, output (stdout+stderr) in OUT, status in RC.
run() {
    OUT=$("$@" 2>&1)
    RC=$?
}

# lc ARGS...: runs the script under test, remembering --dir for cleanup.
lc() {
    local prev="" a
    for a in "$@"; do
        if [[ "$prev" == "--dir" ]]; then
            USED_DIRS+=("$a")
        fi
        prev=$a
    done
    run "$LC" "$@"
}

expect_rc() {
    local want=$1 desc=$2
    if [[ "$RC" -eq "$want" ]]; then
        pass "$desc"
    else
        fail "$desc (exit $RC, expected $want)" "$OUT"
    fi
}

expect_nonzero() {
    local desc=$1
    if [[ "$RC" -ne 0 ]]; then
        pass "$desc"
    else
        fail "$desc (exit 0, expected failure)" "$OUT"
    fi
}

expect_out() {
    local pattern=$1 desc=$2
    if grep -Eq -- "$pattern" <<<"$OUT"; then
        pass "$desc"
    else
        fail "$desc (output does not match /$pattern/)" "$OUT"
    fi
}

expect_no_out() {
    local pattern=$1 desc=$2
    if grep -Eq -- "$pattern" <<<"$OUT"; then
        fail "$desc (output matches /$pattern/)" "$OUT"
    else
        pass "$desc"
    fi
}

# True if PID is a live, non-zombie process.
pid_alive() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat%% *}" != "Z" && "${stat%% *}" != "X" ]]
}

pids_of() {
    cat "$1"/node-*/redis.pid 2>/dev/null | tr -dc '0-9\n'
}

# check_stopped DIR PIDS...: none of PIDS alive, no pid/nodes.conf files left.
check_stopped() {
    local dir=$1 pid alive=""
    shift
    for pid in "$@"; do
        if pid_alive "$pid"; then
            alive+=" $pid"
        fi
    done
    if [[ -z "$alive" ]]; then
        pass "stop: no redis-server of $dir left alive"
    else
        fail "stop: processes still alive:$alive"
    fi
    local left
    left=$(find "$dir" -name redis.pid -o -name nodes.conf 2>/dev/null)
    if [[ -z "$left" ]]; then
        pass "stop: pid files and nodes.conf removed"
    else
        fail "stop: files left behind" "$left"
    fi
}

# count_roles CLI_ARGS...: prints "masters replicas" from CLUSTER NODES.
count_roles() {
    local nodes
    nodes=$(redis-cli "$@" cluster nodes 2>/dev/null)
    printf '%s %s' \
        "$(awk '$3 ~ /master/ { n++ } END { print n + 0 }' <<<"$nodes")" \
        "$(awk '$3 ~ /slave/ { n++ } END { print n + 0 }' <<<"$nodes")"
}

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "redis-server/redis-cli not installed" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# ---------------------------------------------------------------------------
echo "# argument validation"
# ---------------------------------------------------------------------------
BAD="$WORK/bad"
lc start --nodes 2 --base-port 7600 --dir "$BAD"
expect_rc 2 "--nodes 2 is rejected with exit 2"
expect_out "at least 3 masters" "--nodes 2 error explains the 3-master minimum"
lc start --nodes 6 --replicas 2 --base-port 7600 --dir "$BAD"
expect_rc 2 "--nodes 6 --replicas 2 is rejected"
lc start --bogus --base-port 7600 --dir "$BAD"
expect_rc 2 "unknown option is rejected with exit 2"
expect_out "unknown option.*--bogus" "unknown option error names the option"
lc frobnicate --dir "$BAD"
expect_rc 2 "unknown command is rejected with exit 2"
lc start --base-port abc --dir "$BAD"
expect_rc 2 "non-numeric --base-port is rejected"
lc start --tls --tls-auth-clients maybe --base-port 7600 --dir "$BAD"
expect_rc 2 "invalid --tls-auth-clients is rejected"
lc start --acl nocolon --base-port 7600 --dir "$BAD"
expect_rc 2 "--acl without a colon is rejected"
run "$LC"
expect_rc 2 "missing command is rejected"
run "$LC" --help
expect_rc 0 "--help exits 0"
expect_out "^Usage: " "--help prints usage"
if [[ ! -e "$BAD" ]]; then
    pass "rejected invocations created nothing"
else
    fail "rejected invocations created $BAD"
fi

# ---------------------------------------------------------------------------
echo "# plain cluster on 7300"
# ---------------------------------------------------------------------------
PLAIN="$WORK/plain"
t0=$(date +%s.%N)
lc start --base-port 7300 --dir "$PLAIN"
t1=$(date +%s.%N)
PLAIN_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
expect_rc 0 "start plain cluster (${PLAIN_SECS}s)"
expect_out "3 masters, 3 replicas" "start prints a summary line"

lc status --dir "$PLAIN"
expect_rc 0 "status exits 0 on a healthy cluster"
expect_out "^7305 +[0-9]+ +yes" "status lists node 7305 as alive"

roles=$(count_roles -p 7300)
if [[ "$roles" == "3 3" ]]; then
    pass "cluster has 3 masters and 3 replicas"
else
    fail "expected 3 masters 3 replicas, got '$roles'"
fi

run redis-cli -c -p 7300 set foo bar
expect_out "^OK$" "redis-cli -c set foo bar"
run redis-cli -c -p 7300 get foo
expect_out "^bar$" "redis-cli -c get foo returns bar"
run redis-cli -p 7301 debug sleep 0
expect_out "^OK$" "DEBUG command is enabled for local clients"

lc env --dir "$PLAIN"
expect_rc 0 "env exits 0"
ENV_OUT=$OUT
vars=$(
    unset RC_BASE_PORT RC_NODES RC_PORTS RC_DIR RC_TLS RC_TLS_DIR RC_ACL_USER RC_ACL_PASS
    eval "$ENV_OUT" && printf '%s|%s|%s|%s|%s' "$RC_BASE_PORT" "$RC_NODES" "$RC_PORTS" "$RC_DIR" "$RC_TLS"
)
if [[ "$vars" == "7300|6|7300 7301 7302 7303 7304 7305|$PLAIN|0" ]]; then
    pass "env output is sourceable and correct"
else
    fail "env output unexpected: '$vars'" "$ENV_OUT"
fi
if [[ -f "$PLAIN/cluster.env" ]] && [[ "$(cat "$PLAIN/cluster.env")" == "$ENV_OUT" ]]; then
    pass "cluster.env matches env output"
else
    fail "cluster.env missing or different from env output"
fi

lc start --base-port 7300 --dir "$PLAIN"
expect_rc 0 "second start of a running cluster succeeds"
expect_out "already running" "second start says it is already running"

lc start --base-port 7300 --dir "$WORK/conflict"
expect_nonzero "start on ports used by another cluster is refused"
expect_out "7300 is already in use" "port conflict error names the port"
run redis-cli -p 7300 ping
expect_out "^PONG$" "refused start left the running cluster alone"

mapfile -t plain_pids < <(pids_of "$PLAIN")
if [[ ${#plain_pids[@]} -eq 6 ]]; then
    pass "6 pid files present"
else
    fail "expected 6 pid files, found ${#plain_pids[@]}"
fi
lc stop --dir "$PLAIN"
expect_rc 0 "stop exits 0"
check_stopped "$PLAIN" "${plain_pids[@]}"
lc status --dir "$PLAIN"
expect_nonzero "status exits non-zero when stopped"
lc stop --dir "$PLAIN"
expect_rc 0 "stopping a stopped cluster exits 0"

lc start --base-port 7300 --dir "$PLAIN"
expect_rc 0 "restart after stop creates a fresh cluster"
run redis-cli -c -p 7300 get foo
if [[ "$OUT" == "" ]]; then
    pass "restarted cluster is empty (no stale data)"
else
    fail "restarted cluster still has data" "$OUT"
fi
mapfile -t plain_pids < <(pids_of "$PLAIN")
lc stop --dir "$PLAIN"
expect_rc 0 "stop after restart"
check_stopped "$PLAIN" "${plain_pids[@]}"

# ---------------------------------------------------------------------------
echo "# TLS cluster on 7400"
# ---------------------------------------------------------------------------
TLSD="$WORK/tls"
t0=$(date +%s.%N)
lc start --tls --base-port 7400 --dir "$TLSD"
t1=$(date +%s.%N)
TLS_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
expect_rc 0 "start TLS cluster (${TLS_SECS}s, including certificate generation)"
T="$TLSD/tls"
missing=""
for f in ca.crt ca.key server.crt server.key client.crt client.key client-encrypted.key \
    client-key-password.txt other-ca.crt other-ca.key wrong-host.crt wrong-host.key; do
    [[ -s "$T/$f" ]] || missing+=" $f"
done
if [[ -z "$missing" ]]; then
    pass "all TLS files generated"
else
    fail "missing TLS files:$missing"
fi
TLS_CLI=(--tls --cacert "$T/ca.crt" --cert "$T/client.crt" --key "$T/client.key")

run redis-cli "${TLS_CLI[@]}" -p 7400 ping
expect_out "^PONG$" "TLS redis-cli with client certificate gets PONG"
run redis-cli "${TLS_CLI[@]}" -c -p 7400 set foo bar
expect_out "^OK$" "TLS redis-cli -c set foo bar"
run redis-cli "${TLS_CLI[@]}" -c -p 7400 get foo
expect_out "^bar$" "TLS redis-cli -c get foo"
run timeout 10 redis-cli -p 7400 ping
expect_no_out "PONG" "plain-text connection to a TLS node does not work"
run timeout 10 redis-cli --tls --cacert "$T/ca.crt" -p 7400 ping
expect_no_out "PONG" "TLS connection without client certificate is rejected"
roles=$(count_roles "${TLS_CLI[@]}" -p 7400)
if [[ "$roles" == "3 3" ]]; then
    pass "TLS cluster has 3 masters and 3 replicas"
else
    fail "TLS: expected 3 masters 3 replicas, got '$roles'"
fi
lc status --dir "$TLSD"
expect_rc 0 "status of TLS cluster exits 0 (settings read from cluster.env)"
lc env --dir "$TLSD"
expect_out "^export RC_TLS='1'$" "env reports RC_TLS=1"
expect_out "^export RC_TLS_DIR='$T'$" "env reports RC_TLS_DIR"

run openssl verify -CAfile "$T/ca.crt" "$T/server.crt" "$T/client.crt" "$T/wrong-host.crt"
expect_rc 0 "server, client and wrong-host certificates chain to ca.crt"
run openssl verify -CAfile "$T/other-ca.crt" "$T/server.crt"
expect_nonzero "server certificate does not verify against other-ca.crt"
run openssl x509 -noout -ext subjectAltName -in "$T/server.crt"
expect_out "IP Address:127.0.0.1, DNS:localhost" "server certificate SAN is IP:127.0.0.1, DNS:localhost"
run openssl x509 -noout -ext subjectAltName -in "$T/wrong-host.crt"
expect_out "DNS:not-this-host.invalid" "wrong-host certificate SAN"
expect_no_out "127.0.0.1|localhost" "wrong-host certificate does not name this host"
if [[ "$(cat "$T/client-key-password.txt")" == "rediscluster-test" ]]; then
    pass "client key passphrase file holds rediscluster-test"
else
    fail "unexpected passphrase file content"
fi
run openssl pkey -noout -in "$T/client-encrypted.key" -passin pass:rediscluster-test
expect_rc 0 "encrypted client key opens with the passphrase"
run openssl pkey -noout -in "$T/client-encrypted.key" -passin pass:wrong
expect_nonzero "encrypted client key does not open with a wrong passphrase"
k1=$(openssl pkey -in "$T/client-encrypted.key" -passin pass:rediscluster-test -pubout 2>/dev/null)
k2=$(openssl pkey -in "$T/client.key" -pubout 2>/dev/null)
if [[ -n "$k1" && "$k1" == "$k2" ]]; then
    pass "encrypted key is the client key"
else
    fail "encrypted key differs from client.key"
fi

ca_sum=$(sha256sum "$T/ca.crt")
mapfile -t tls_pids < <(pids_of "$TLSD")
lc stop --dir "$TLSD"
expect_rc 0 "stop TLS cluster"
check_stopped "$TLSD" "${tls_pids[@]}"
if [[ -f "$T/ca.crt" && "$(sha256sum "$T/ca.crt")" == "$ca_sum" ]]; then
    pass "certificates kept after stop"
else
    fail "certificates not kept after stop"
fi

lc start --tls --tls-auth-clients no --base-port 7400 --dir "$TLSD"
expect_rc 0 "restart TLS cluster with --tls-auth-clients no"
expect_out "Reusing TLS certificates" "certificates are reused"
run timeout 10 redis-cli --tls --cacert "$T/ca.crt" -p 7400 ping
expect_out "^PONG$" "with tls-auth-clients no, no client certificate is needed"
mapfile -t tls_pids < <(pids_of "$TLSD")
lc stop --dir "$TLSD"
expect_rc 0 "stop TLS cluster again"
check_stopped "$TLSD" "${tls_pids[@]}"

# ---------------------------------------------------------------------------
echo "# ACL cluster on 7500"
# ---------------------------------------------------------------------------
ACLD="$WORK/acl"
lc start --acl alice:secret --base-port 7500 --dir "$ACLD"
expect_rc 0 "start ACL cluster"
ACL_CLI=(--user alice --pass secret --no-auth-warning)
run redis-cli "${ACL_CLI[@]}" -p 7500 ping
expect_out "^PONG$" "--user alice --pass secret gets PONG"
run redis-cli "${ACL_CLI[@]}" -c -p 7500 set foo bar
expect_out "^OK$" "ACL redis-cli -c set foo bar"
run redis-cli "${ACL_CLI[@]}" -c -p 7500 get foo
expect_out "^bar$" "ACL redis-cli -c get foo"
run redis-cli -p 7500 get foo
expect_out "NOAUTH" "no authentication gives NOAUTH"
run redis-cli --user alice --pass wrong --no-auth-warning -p 7500 ping
expect_no_out "^PONG$" "wrong password is refused"
roles=$(count_roles "${ACL_CLI[@]}" -p 7500)
if [[ "$roles" == "3 3" ]]; then
    pass "ACL cluster has 3 masters and 3 replicas"
else
    fail "ACL: expected 3 masters 3 replicas, got '$roles'"
fi
link_ok=1
for port in 7500 7501 7502 7503 7504 7505; do
    repl=$(redis-cli "${ACL_CLI[@]}" -p "$port" info replication | tr -d '\r')
    if grep -q '^role:slave' <<<"$repl" && ! grep -q '^master_link_status:up' <<<"$repl"; then
        link_ok=0
    fi
done
if [[ $link_ok -eq 1 ]]; then
    pass "ACL replicas are linked to their masters (masteruser/masterauth)"
else
    fail "an ACL replica has no master link"
fi
lc status --dir "$ACLD"
expect_rc 0 "status of ACL cluster exits 0"
mapfile -t acl_pids < <(pids_of "$ACLD")
lc stop --dir "$ACLD"
expect_rc 0 "stop ACL cluster"
check_stopped "$ACLD" "${acl_pids[@]}"

# ---------------------------------------------------------------------------
echo "# failure during start on 7600"
# ---------------------------------------------------------------------------
# A redis-server wrapper that refuses to start the last node.
FAKEBIN="$WORK/fakebin"
mkdir -p "$FAKEBIN"
REAL_REDIS=$(command -v redis-server)
cat >"$FAKEBIN/redis-server" <<EOF
#!/usr/bin/env bash
if grep -q '^port 7605\$' "\$1" 2>/dev/null; then
    echo "simulated start failure" >&2
    exit 1
fi
exec "$REAL_REDIS" "\$@"
EOF
chmod +x "$FAKEBIN/redis-server"
FAILD="$WORK/fail"
USED_DIRS+=("$FAILD")
t0=$(date +%s)
run env PATH="$FAKEBIN:$PATH" "$LC" start --base-port 7600 --dir "$FAILD"
expect_nonzero "start fails when a node cannot start"
expect_out "node 7605" "failure message names the node"
expect_out "stopping the nodes it started" "failed start says it cleans up"
leftover=""
for f in "$FAILD"/node-*/redis.pid; do
    [[ -f "$f" ]] && leftover+=" $f"
done
for port in 7600 7601 7602 7603 7604; do
    if [[ "$(timeout 5 redis-cli -p "$port" ping 2>/dev/null)" == "PONG" ]]; then
        leftover+=" port:$port"
    fi
done
if [[ -z "$leftover" ]]; then
    pass "failed start stopped the nodes it had started"
else
    fail "failed start left nodes behind:$leftover"
fi

# ---------------------------------------------------------------------------
echo "# start times: plain ${PLAIN_SECS}s, TLS ${TLS_SECS}s"
echo "$PASSED passed, $FAILED failed"
if [[ $FAILED -ne 0 ]]; then
    exit 1
fi
exit 0
