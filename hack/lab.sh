#!/usr/bin/env bash
# The local lab: a real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager; TLS everywhere, RBAC on) and a real BGP network
# (one gobgpd per simulated node on its own 127.0.0.x, BIRD 2 as the upstream
# router peering with every node). All state lives in $VIPA_LAB_DIR (.lab/).
#
#   hack/lab.sh up                 start everything, write .lab/env
#   hack/lab.sh down               stop every process the lab started (by PID)
#   hack/lab.sh status             show what runs
#   hack/lab.sh restart-apiserver  stop kube-apiserver, wait, start it again
#   hack/lab.sh stop NAME | start NAME   one component (apiserver, gobgpd-node-1, bird, ...)
#   hack/lab.sh bird CMD...        run a birdc command against the lab router
#   hack/lab.sh gobgp v3|v4|debian restart every node's gobgpd as that GoBGP (rewrites .lab/env)
#   hack/lab.sh images             import .images/*.tar into every real node again (LAB_MODE=nodes)
#
# LAB_MODE=nodes boots real nodes instead of the gobgpds (hack/lib/nodes.sh): kube-scheduler,
# the workload controllers, and per node a network namespace with containerd, kubelet and
# kube-proxy; the product then runs as Pods from the images hack/images.sh built. Its state
# lives in .lab-nodes/ and its ports start at 26600, so it can run beside a process-mode lab.
#
# LAB_GOBGP=v4|v3|debian picks the nodes' gobgpd (default v4): GoBGP v4 or v3 built from the
# Go modules pinned in hack/gobgp-v4/, hack/gobgp-v3/ (hack/build-gobgp.sh), or Debian's 3.10.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

# The mode of a running lab is recorded in its env file; a new lab takes LAB_MODE (default processes).
LAB_MODE="${LAB_MODE:-processes}"
if [[ $LAB_MODE == nodes ]]; then LAB="${VIPA_LAB_DIR:-$VIPA_ROOT/.lab-nodes}"; else LAB="${VIPA_LAB_DIR:-$VIPA_ROOT/.lab}"; fi
# A lab booted with LAB_PORT_BASE / LAB_BGP_PORT records them in $LAB/env, so later commands on it
# (stop, start, restart-apiserver) use the same ports without being told again.
# LAB_APISERVER_PROFILING=true serves /debug/pprof on the API server (performance work only).
# The API server enables OwnerReferencesPermissionEnforcement (as OpenShift does), so the
# rbac e2e test proves the finalizers rules that blockOwnerDeletion needs.
recorded() { [[ -f $LAB/env ]] && sed -n "s/^export $1=\([0-9a-z]*\)$/\1/p" "$LAB/env" | tail -1; return 0; }
: "${LAB_PORT_BASE:=$(recorded LAB_PORT_BASE)}"
: "${LAB_BGP_PORT:=$(recorded LAB_BGP_PORT)}"
# The GoBGP of a running lab is recorded too; a new lab (up) takes LAB_GOBGP or the default.
LAB_GOBGP_ASKED="${LAB_GOBGP:-}"
: "${LAB_GOBGP:=$(recorded LAB_GOBGP)}"
LAB_GOBGP="${LAB_GOBGP:-v4}"
GOBGP_BIN="$(gobgp_bin_dir "$LAB_GOBGP")"
NODES="${LAB_NODE_COUNT:-3}"
if [[ $LAB_MODE == nodes ]]; then PORT_BASE="${LAB_PORT_BASE:-26600}"; else PORT_BASE="${LAB_PORT_BASE:-26000}"; fi
ETCD_PORT=$((PORT_BASE + 379))
ETCD_PEER_PORT=$((PORT_BASE + 380))
APISERVER_PORT=$((PORT_BASE + 443))
KCM_PORT=$((PORT_BASE + 257))
GOBGP_PORT_BASE=$((PORT_BASE + 50))   # node i: gRPC on 127.0.0.(10+i):(base+i)
BGP_PORT="${LAB_BGP_PORT:-1790}"      # unprivileged, so nothing else on the host collides
ROUTER_ADDRESS=127.0.0.2
if [[ $LAB_MODE == nodes ]]; then
  # Every node has an address and a network namespace of its own: BGP on its own port 179.
  BGP_PORT="${LAB_BGP_PORT:-179}"
  ROUTER_ADDRESS=198.18.254.1
fi
ROUTER_ASN=64512       # iBGP, so local-pref reaches the router as set
# What the router offers the nodes, as an upstream with a default route and a partial table
# would: every node's gobgpd must keep them out of its global RIB (the speaker's import policy).
UPSTREAM4="0.0.0.0/0 100.64.0.0/10 172.31.0.0/16"
UPSTREAM6="::/0 fd99:1::/48"
NODE_ASN=64512
# One session with TCP MD5 (RFC 2385), for test-e2e/passwords.test.ts only: its own address
# (below the nodes' 127.0.0.11+), which no lab node uses, so the other suites never see it.
MD5_PEER_ADDRESS=127.0.0.9
MD5_PROTOCOL=md5_peer
MD5_PASSWORD=lab-md5-s3cret
PKI="$LAB/pki"
PIDS="$LAB/pids"
LOGS="$LAB/logs"

node_name() { echo "node-$1"; }
node_addr() { echo "127.0.0.$((10 + $1))"; }
node_grpc() { echo "$(node_addr "$1"):$((GOBGP_PORT_BASE + $1))"; }
source "$VIPA_ROOT/hack/lib/nodes.sh"
if [[ $LAB_MODE == nodes ]]; then node_addr() { node_fabric_addr "$1"; }; fi

# ---------------------------------------------------------------- processes

# Starts a process in its own session, records its PID, logs to $LOGS/NAME.log.
start_proc() {
  local name="$1"; shift
  mkdir -p "$PIDS" "$LOGS"
  if is_running "$name"; then return 0; fi
  nohup setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
  # What the PID runs once exec'd: nsenter execs the command that follows its options.
  local exe="$1"
  [[ $exe == nsenter ]] && exe="$3"
  echo "$exe" >"$PIDS/$name.exe"
}

# True when the recorded PID is alive and still runs the binary we started
# (guards against signalling a recycled PID that belongs to someone else).
is_running() {
  local name="$1" pid exe
  [[ -f "$PIDS/$name.pid" ]] || return 1
  pid="$(cat "$PIDS/$name.pid")"
  exe="$(cat "$PIDS/$name.exe" 2>/dev/null || true)"
  [[ -d /proc/$pid ]] || return 1
  [[ -z $exe ]] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$exe" || return 1
}

stop_proc() {
  local name="$1" pid i
  if ! is_running "$name"; then rm -f "$PIDS/$name.pid" "$PIDS/$name.exe"; return 0; fi
  pid="$(cat "$PIDS/$name.pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
  if [[ -d /proc/$pid ]]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  rm -f "$PIDS/$name.pid" "$PIDS/$name.exe"
}

# Waits until a command succeeds; fails with the component's log tail.
wait_for() {
  local what="$1" name="$2" deadline=$((SECONDS + $3)); shift 3
  until "$@" >/dev/null 2>&1; do
    # Checked twice: right after the start, /proc/PID/cmdline can read empty while nohup and
    # setsid exec the binary, which looked like an exit.
    if ! is_running "$name" && sleep 0.5 && ! is_running "$name"; then
      log "$what exited; last lines of $LOGS/$name.log:"; tail -20 "$LOGS/$name.log" >&2 || true
      return 1
    fi
    if ((SECONDS > deadline)); then
      log "$what not ready in time; last lines of $LOGS/$name.log:"; tail -20 "$LOGS/$name.log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# ---------------------------------------------------------------- PKI

gen_cert() { # name subject [extfile-lines]
  local name="$1" subj="$2" ext="${3:-}"
  [[ -f "$PKI/$name.crt" ]] && return 0
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  printf '%b\n' "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n$ext" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr"
}

pki() {
  mkdir -p "$PKI"
  if [[ ! -f $PKI/ca.crt ]]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=vip-announcer-lab-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$PKI/ca.crt" 2>/dev/null
  fi
  local san="subjectAltName=IP:127.0.0.1,DNS:localhost"
  gen_cert etcd-server "/CN=etcd" "extendedKeyUsage=serverAuth,clientAuth\n$san"
  gen_cert apiserver-etcd-client "/CN=kube-apiserver-etcd-client" "extendedKeyUsage=clientAuth"
  gen_cert apiserver "/CN=kube-apiserver" \
    "extendedKeyUsage=serverAuth\n$san,IP:10.96.0.1,IP:198.18.254.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  gen_cert admin "/O=system:masters/CN=lab-admin" "extendedKeyUsage=clientAuth"
  gen_cert kube-controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
  gen_cert kcm-serving "/CN=kube-controller-manager" "extendedKeyUsage=serverAuth\n$san"
  if [[ ! -f $PKI/sa.key ]]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  chmod 600 "$PKI"/*.key
}

kubeconfig() { # file user cert
  local file="$1" user="$2" cert="$3"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $user
  user:
    client-certificate: $PKI/$cert.crt
    client-key: $PKI/$cert.key
contexts:
- name: lab
  context: {cluster: lab, user: $user}
current-context: lab
EOF
  chmod 600 "$file"
}

# ---------------------------------------------------------------- components

start_etcd() {
  start_proc etcd "$ETCD_BIN/etcd" --name lab --data-dir "$LAB/etcd" \
    --listen-client-urls "https://127.0.0.1:$ETCD_PORT" --advertise-client-urls "https://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "https://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "https://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "lab=https://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --cert-file "$PKI/etcd-server.crt" --key-file "$PKI/etcd-server.key" \
    --client-cert-auth --trusted-ca-file "$PKI/ca.crt" \
    --peer-cert-file "$PKI/etcd-server.crt" --peer-key-file "$PKI/etcd-server.key" \
    --peer-client-cert-auth --peer-trusted-ca-file "$PKI/ca.crt" \
    --unsafe-no-fsync --log-level warn
  wait_for etcd etcd 60 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/apiserver-etcd-client.crt" \
    --key "$PKI/apiserver-etcd-client.key" "https://127.0.0.1:$ETCD_PORT/health"
}

# Every write (verb, user, object, time; no bodies) goes to $LOGS/audit.log, so tests can prove
# who wrote what when (the leadership test: nothing from a leader after it lost the Lease).
# LAB_APISERVER_AUDIT=false turns it off (performance work).
audit_flags() {
  [[ ${LAB_APISERVER_AUDIT:-true} == true ]] || return 0
  cat >"$LAB/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
EOF
  echo --audit-policy-file "$LAB/audit-policy.yaml" --audit-log-path "$LOGS/audit.log" --audit-log-format json
}

# Real nodes: the Node authorizer and NodeRestriction as in any cluster with kubelets, the
# `kubernetes` Service's endpoint on the fabric (in-cluster clients reach it through kube-proxy),
# and a client certificate towards the kubelets (kubectl logs).
mode_apiserver_flags() {
  if [[ $LAB_MODE != nodes ]]; then
    echo --authorization-mode RBAC --enable-admission-plugins OwnerReferencesPermissionEnforcement --endpoint-reconciler-type none
    return 0
  fi
  echo --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction,OwnerReferencesPermissionEnforcement \
    --advertise-address "$FABRIC_HOST" --endpoint-reconciler-type lease \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP
}

start_apiserver() {
  mkdir -p "$LOGS"
  # shellcheck disable=SC2046
  start_proc apiserver "$K8S_BIN/kube-apiserver" $(audit_flags) \
    --etcd-servers "https://127.0.0.1:$ETCD_PORT" --etcd-cafile "$PKI/ca.crt" \
    --etcd-certfile "$PKI/apiserver-etcd-client.crt" --etcd-keyfile "$PKI/apiserver-etcd-client.key" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" $(mode_apiserver_flags) \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16,fd00:10:96::/112 \
    --profiling="${LAB_APISERVER_PROFILING:-false}" --cert-dir "$LAB/apiserver-certs" -v 1
  wait_for kube-apiserver apiserver 120 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" \
    --key "$PKI/admin.key" "https://127.0.0.1:$APISERVER_PORT/readyz"
}

# Process mode runs only what its tests need (no node lifecycle: its Nodes have no kubelet);
# real nodes get the controllers a cluster runs for workloads.
kcm_controllers() {
  local c=endpointslice-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,daemonset-controller
  [[ $LAB_MODE == nodes ]] && c+=,deployment-controller,replicaset-controller,node-lifecycle-controller,disruption-controller,pod-garbage-collector-controller,root-ca-certificate-publisher-controller,taint-eviction-controller,endpointslice-mirroring-controller,job-controller,ttl-after-finished-controller
  echo "$c"
}

start_kcm() {
  kubeconfig "$LAB/kube-controller-manager.kubeconfig" system:kube-controller-manager kube-controller-manager
  # Client QPS well above the default 20: at 10,000 Services (make bench) the EndpointSlice
  # controller would otherwise need minutes to write the slices the bench waits for.
  start_proc kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$LAB/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$LAB/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$LAB/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
    --tls-cert-file "$PKI/kcm-serving.crt" --tls-private-key-file "$PKI/kcm-serving.key" \
    --use-service-account-credentials --root-ca-file "$PKI/ca.crt" \
    --service-account-private-key-file "$PKI/sa.key" \
    --controllers "$(kcm_controllers)" \
    --leader-elect=false --concurrent-service-endpoint-syncs 10 -v 1 \
    --kube-api-qps 500 --kube-api-burst 1000
  wait_for kube-controller-manager kube-controller-manager 60 \
    curl -sf --cacert "$PKI/ca.crt" "https://127.0.0.1:$KCM_PORT/healthz"
}

start_gobgpd() {
  local i="$1" name
  name="gobgpd-$(node_name "$i")"
  start_proc "$name" "$GOBGP_BIN/gobgpd" --api-hosts "$(node_grpc "$i")" --pprof-disable -p -l info
  wait_for "$name" "$name" 30 bash -c "exec 3<>/dev/tcp/$(node_addr "$i")/$((GOBGP_PORT_BASE + i))"
}

bird_conf() {
  {
    echo "# Generated by hack/lab.sh: the lab's upstream router."
    # Every route import and withdrawal is logged, so tests can count flaps.
    echo "log \"$LOGS/bird-routes.log\" all;"
    echo "router id $ROUTER_ADDRESS;"
    echo "protocol device { scan time 5; }"
    echo "protocol static upstream4 { ipv4; $(for p in $UPSTREAM4; do printf 'route %s blackhole; ' "$p"; done)}"
    echo "protocol static upstream6 { ipv6; $(for p in $UPSTREAM6; do printf 'route %s blackhole; ' "$p"; done)}"
    # No kernel protocol: the lab never touches the host's routing table. BIRD
    # ignores the loopback interface, so it keeps the nodes' routes (next hops
    # 127.0.0.x) as "unreachable"; every node's path stays in the table, which
    # is what the tests read (one entry per next hop = the ECMP set).
    echo "template bgp lab_node {"
    echo "  local $ROUTER_ADDRESS port $BGP_PORT as $ROUTER_ASN;"
    echo "  strict bind yes; multihop 2; debug { states, routes };"
    echo "  connect delay time 1; connect retry time 2; error wait time 1, 4; hold time 9;"
    # Graceful restart (RFC 4724) as the receiving router: a node whose gobgpd negotiated it
    # keeps its routes here, as stale, for the restart time it advertised. Nodes that do not
    # advertise the capability are unaffected.
    echo "  graceful restart on; graceful restart time 120;"
    # A blackhole route has no next hop of its own, and gobgpd treats a zero or loopback next
    # hop as a withdrawal: the offers carry fixed unicast next hops (no route needed to them).
    echo "  ipv4 { import all; export where proto = \"upstream4\"; next hop address 198.18.0.2; gateway recursive; };"
    echo "  ipv6 { import all; export where proto = \"upstream6\"; next hop address fd00:0:0:ff::2; gateway recursive; };"
    echo "}"
    for i in $(seq 1 "$NODES"); do
      echo "protocol bgp $(node_name "$i" | tr - _) from lab_node {"
      echo "  description \"$(node_name "$i")\";"
      echo "  neighbor $(node_addr "$i") port $BGP_PORT as $NODE_ASN;"
      # The last node's session: a router without graceful restart (tests use it as such).
      # (Real nodes: every session keeps graceful restart, as rollouts must not withdraw.)
      if [[ $i == "$NODES" && $LAB_MODE != nodes ]]; then echo "  graceful restart off;"; fi
      # Real nodes: a file of the node's own session settings (empty at start), which a test
      # may rewrite and load with `birdc configure` (the MD5 password rotation of nodes/install).
      if [[ $LAB_MODE == nodes ]]; then
        : >"$LAB/bird-$(node_name "$i").conf"
        echo "  include \"$LAB/bird-$(node_name "$i").conf\";"
      fi
      echo "}"
    done
    [[ $LAB_MODE == nodes ]] && return 0
    echo "protocol bgp $MD5_PROTOCOL from lab_node {"
    echo "  description \"TCP MD5 session (test-e2e/passwords.test.ts)\";"
    echo "  neighbor $MD5_PEER_ADDRESS port $BGP_PORT as $NODE_ASN;"
    echo "  password \"$MD5_PASSWORD\";"
    echo "}"
  } >"$LAB/bird.conf"
}

start_bird() {
  bird_conf
  bird -p -c "$LAB/bird.conf" || die "BIRD rejected $LAB/bird.conf"
  start_proc bird /usr/sbin/bird -f -c "$LAB/bird.conf" -s "$LAB/bird.ctl" -P "$LAB/bird.pid"
  wait_for bird bird 20 birdc -s "$LAB/bird.ctl" show status
}

write_env() {
  {
    echo "# Written by hack/lab.sh up; source it to drive the lab by hand."
    echo "export VIPA_LAB_DIR=$LAB"
    echo "export LAB_MODE=$LAB_MODE"
    echo "export KUBECONFIG=$LAB/admin.kubeconfig"
    echo "export LAB_K8S_BIN=$K8S_BIN"
    echo "export LAB_GOBGP=$LAB_GOBGP"
    echo "export LAB_GOBGP_BIN=$GOBGP_BIN"
    echo "export PATH=$GOBGP_BIN:$K8S_BIN:\$PATH"
    echo "export LAB_APISERVER=https://127.0.0.1:$APISERVER_PORT"
    echo "export LAB_CA_FILE=$PKI/ca.crt"
    echo "export LAB_AUDIT_LOG=$LOGS/audit.log"
    echo "export BIRD_SOCKET=$LAB/bird.ctl"
    echo "export LAB_ROUTER_ADDRESS=$ROUTER_ADDRESS"
    echo "export LAB_ROUTER_ASN=$ROUTER_ASN"
    echo "export LAB_NODE_ASN=$NODE_ASN"
    echo "export LAB_MD5_PEER_ADDRESS=$MD5_PEER_ADDRESS"
    echo "export LAB_MD5_PROTOCOL=$MD5_PROTOCOL"
    echo "export LAB_MD5_PASSWORD=$MD5_PASSWORD"
    echo "export LAB_BGP_PORT=$BGP_PORT"
    echo "export LAB_PORT_BASE=$PORT_BASE"
    echo "export LAB_UPSTREAM_PREFIXES=\"$UPSTREAM4 $UPSTREAM6\""
    local names=()
    for i in $(seq 1 "$NODES"); do
      names+=("$(node_name "$i")")
      echo "export LAB_NODE_${i}_NAME=$(node_name "$i")"
      echo "export LAB_NODE_${i}_ADDRESS=$(node_addr "$i")"
      if [[ $LAB_MODE == nodes ]]; then
        echo "export LAB_NODE_${i}_NETNS=$(node_netns "$i")"
        echo "export LAB_NODE_${i}_CONTAINERD=$(containerd_sock "$i")"
      else
        echo "export LAB_NODE_${i}_GOBGP=$(node_grpc "$i")"
      fi
    done
    echo "export LAB_NODES=\"${names[*]}\""
  } >"$LAB/env"
}

# ---------------------------------------------------------------- commands

up() {
  local t0=$SECONDS
  # gobgpds already running (an up on a running lab) keep the GoBGP they run.
  if ! is_running "gobgpd-$(node_name 1)"; then
    LAB_GOBGP="${LAB_GOBGP_ASKED:-v4}"
    GOBGP_BIN="$(gobgp_bin_dir "$LAB_GOBGP")"
  fi
  "$VIPA_ROOT/hack/deps.sh" debian
  "$VIPA_ROOT/hack/build-k8s.sh"
  "$VIPA_ROOT/hack/build-gobgp.sh" "$LAB_GOBGP"
  if [[ $LAB_MODE == nodes ]]; then nodes_deps; "$VIPA_ROOT/hack/images.sh"; fi
  # Another lab (another checkout) on the same ports would make every component fail oddly.
  if ! is_running apiserver && (exec 3<>"/dev/tcp/127.0.0.1/$APISERVER_PORT") 2>/dev/null; then
    die "port $APISERVER_PORT is in use: is another lab running? (stop it with its hack/lab.sh down, or set LAB_PORT_BASE)"
  fi
  mkdir -p "$LAB"
  pki
  [[ $LAB_MODE == nodes ]] && nodes_pki
  kubeconfig "$LAB/admin.kubeconfig" lab-admin admin
  log "lab: starting etcd";                  start_etcd
  log "lab: starting kube-apiserver";        start_apiserver
  log "lab: starting kube-controller-manager"; start_kcm
  if [[ $LAB_MODE == nodes ]]; then start_nodes; else start_gobgpds; fi
  log "lab: starting BIRD (upstream router $ROUTER_ADDRESS, AS $ROUTER_ASN)"; start_bird
  write_env
  log "lab up in $((SECONDS - t0))s; source $LAB/env"
}

start_gobgpds() {
  local i
  for i in $(seq 1 "$NODES"); do
    log "lab: starting gobgpd ($LAB_GOBGP) for $(node_name "$i") on $(node_grpc "$i")"; start_gobgpd "$i"
  done
}

# Swaps every node's gobgpd for another GoBGP in a running lab (cheaper than a new lab).
switch_gobgp() {
  [[ -f $LAB/env ]] || die "the lab is not up"
  LAB_GOBGP="$1"
  GOBGP_BIN="$(gobgp_bin_dir "$LAB_GOBGP")"
  "$VIPA_ROOT/hack/build-gobgp.sh" "$LAB_GOBGP"
  local i
  for i in $(seq 1 "$NODES"); do stop_proc "gobgpd-$(node_name "$i")"; done
  start_gobgpds
  write_env
}

components() {
  echo bird
  if [[ $LAB_MODE == nodes ]]; then
    for i in $(seq 1 "$NODES"); do echo "kubelet-$(node_name "$i") kube-proxy-$(node_name "$i") containerd-$(node_name "$i")" | tr ' ' '\n'; done
    echo kube-scheduler apiserver-proxy | tr ' ' '\n'
  else
    for i in $(seq 1 "$NODES"); do echo "gobgpd-$(node_name "$i")"; done
  fi
  echo kube-controller-manager apiserver etcd | tr ' ' '\n'
}

down() {
  [[ -d $PIDS ]] || { log "lab: nothing running"; return 0; }
  # Stop in reverse order of start; also whatever else a test started and recorded here.
  local name
  stop_nodes
  for name in $(components) $(ls "$PIDS" 2>/dev/null | sed -n 's/\.pid$//p'); do
    stop_proc "$name"
  done
  rm -rf "$LAB/etcd"
  log "lab: down"
}

status() {
  local name
  for name in $(components); do
    if is_running "$name"; then echo "$name running (pid $(cat "$PIDS/$name.pid"))"; else echo "$name stopped"; fi
  done
}

start_one() {
  case "$1" in
    etcd) start_etcd ;;
    apiserver) start_apiserver ;;
    kube-controller-manager) start_kcm ;;
    bird) start_bird ;;
    gobgpd-node-*) start_gobgpd "${1#gobgpd-node-}" ;;
    *) die "unknown component $1" ;;
  esac
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  restart-apiserver) stop_proc apiserver; sleep "${2:-2}"; start_apiserver ;;
  stop) stop_proc "${2:?component}" ;;
  start) start_one "${2:?component}" ;;
  bird) shift; birdc -s "$LAB/bird.ctl" "$@" ;;
  gobgp) switch_gobgp "${2:?v3|v4|debian}" ;;
  images) "$VIPA_ROOT/hack/images.sh"; for i in $(seq 1 "$NODES"); do import_images "$i"; done ;;
  *) die "usage: $0 up|down|status|restart-apiserver [SECONDS]|stop NAME|start NAME|bird CMD...|gobgp v3|v4|debian" ;;
esac
