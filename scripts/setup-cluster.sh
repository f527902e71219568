#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, for tests/cluster:
#
#   scripts/setup-cluster.sh build   # binaries and images, cached in ~/.cache/loadgate (first time: long)
#   scripts/setup-cluster.sh up      # start it; prints the kubeconfig path (export KUBECONFIG=...)
#   scripts/setup-cluster.sh down    # stop it: no process, mount or network namespace left behind
#
# Kubernetes v1.31.4 (tools/k8s: one multi-call binary built from the Go module proxy), Debian's
# etcd-server, containerd, runc and CNI plugins, CoreDNS (tools/coredns), a pause image built from
# the pause program in the Kubernetes source. Why 1.31: these machines mount cgroup v1. 1.31 put
# cgroup v1 in maintenance mode (KEP-4569) and added the kubelet option failCgroupV1, default false:
# it runs on v1 with a warning event. 1.35 turns the default to true (KEP-5573), so a newer kubelet
# only starts here with an explicit opt-out of a deprecated mode. 1.31 also still supports
# Debian's containerd 1.6 (CRI v1), and is the release the issue measured building.
#
# metrics-server v0.8.0 (tools/metrics-server; 0.8.x is the line for Kubernetes 1.31+) runs as a
# pod behind the aggregation layer, so `kubectl top` and the HPA read CPU. kube-router v2.1.0
# (tools/kube-router) enforces NetworkPolicies as a node process, firewall only. Why v2.1.0: it is
# the only v2 release the Go module proxy serves here. Its reported flaws, and why none matters
# here: GHSA-phqm-jgc3-qf8g (the service proxy takes any Service's externalIPs / load-balancer IPs
# onto the node) needs --run-service-proxy, and GHSA-v5mh-h5hx-7v92 (GoBGP's gRPC API open to
# pods) needs --run-router; both stay off, kube-proxy serves Services and nothing routes BGP.
#
# Network: every address lives in the network namespace `loadgate-node` this script creates: the
# node (10.250.0.1 on its loopback link), Services (10.250.16.0/24), pods (10.250.128.0/24 on the bridge
# lgbr0, from the bridge CNI plugin). That namespace has no default route and no link to the host:
# nothing can be sent off the machine. The API server is reached from the host at 127.0.0.1:$PORT
# through a Unix socket (socat on either side), so kubectl runs unchanged.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

K8S_VERSION=v1.31.4
CACHE=${LOADGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loadgate}
DIR=${LOADGATE_CLUSTER_DIR:-/tmp/loadgate-cluster}
PORT=${LOADGATE_CLUSTER_PORT:-16443}
NETNS=loadgate-node
NODE_IP=10.250.0.1
SERVICE_CIDR=10.250.16.0/24
DNS_IP=10.250.16.10
POD_CIDR=10.250.128.0/24
POD_GW=10.250.128.1
NODE=loadgate-node
PAUSE_IMAGE=loadgate.local/pause:3.10
TOOLBOX_IMAGE=loadgate.local/toolbox:1
COREDNS_IMAGE=loadgate.local/coredns:1.12.4
METRICS_SERVER_IMAGE=loadgate.local/metrics-server:0.8.0
log() { echo "setup-cluster: $*" >&2; }
# Enter the node's network namespace only: `ip netns exec` would also give the process a mount
# namespace of its own with /sys remounted (no cgroup mounts for the kubelet, and volume mounts
# containerd could not see).
in_ns() { nsenter --net="/var/run/netns/$NETNS" "$@"; }

src_hash() { cat "$@" | sha256sum | cut -c1-16; }
KUBE_BIN=$CACHE/kube-$(src_hash tools/k8s/go.mod tools/k8s/go.sum tools/k8s/main.go)
COREDNS_BIN=$CACHE/coredns-$(src_hash tools/coredns/go.mod tools/coredns/go.sum tools/coredns/main.go)
METRICS_SERVER_BIN=$CACHE/metrics-server-$(src_hash tools/metrics-server/go.mod tools/metrics-server/go.sum tools/metrics-server/main.go)
KUBE_ROUTER_BIN=$CACHE/kube-router-$(src_hash tools/kube-router/go.mod tools/kube-router/go.sum tools/kube-router/main.go)

# go_build DIR OUT [LDFLAGS]: a static build at the lowest priority, timed.
go_build() {
  local start=$SECONDS
  log "building $2 (first time only; tens of minutes for Kubernetes on 2 cores)"
  (cd "$1" && CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "-s -w ${3:-}" -o "$2.tmp" . && mv "$2.tmp" "$2")
  log "built $(basename "$2") in $((SECONDS - start)) s"
}

build() {
  mkdir -p "$CACHE"
  local missing=()
  for pkg in curl etcd-server containerd runc containernetworking-plugins conntrack socat iptables ipset busybox-static \
             openssl gcc libc6-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    [ -n "$(ls /var/lib/apt/lists/*Packages 2>/dev/null)" ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  local v=${K8S_VERSION#v} pkg=k8s.io/component-base/version
  [ -x "$KUBE_BIN" ] || go_build tools/k8s "$KUBE_BIN" "-X $pkg.gitVersion=$K8S_VERSION \
    -X $pkg.gitMajor=${v%%.*} -X $pkg.gitMinor=$(echo "$v" | cut -d. -f2) -X $pkg.gitTreeState=clean"
  [ -x "$COREDNS_BIN" ] || go_build tools/coredns "$COREDNS_BIN"
  [ -x "$METRICS_SERVER_BIN" ] || go_build tools/metrics-server "$METRICS_SERVER_BIN"
  [ -x "$KUBE_ROUTER_BIN" ] || go_build tools/kube-router "$KUBE_ROUTER_BIN"
  # The pause program from the Kubernetes source, static, alone in an image.
  local pause_src; pause_src=$(cd tools/k8s && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
  local pause=$CACHE/pause-$(src_hash "$pause_src")
  if [ ! -x "$pause" ]; then
    gcc -Os -static -DVERSION=3.10 -o "$pause.tmp" "$pause_src" && strip "$pause.tmp" && mv "$pause.tmp" "$pause"
  fi
}

# image_tar NAME ENTRYPOINT ROOTFS: the directory ROOTFS as a one-layer image (docker import),
# saved as a docker archive for `ctr images import`; prints its path.
image_tar() {
  local out; out=$DIR/images/$(echo "$1" | tr '/:' '__').tar
  tar -C "$3" -cf - . | docker import --change "ENTRYPOINT $2" - "$1" >/dev/null
  docker save "$1" -o "$out"
  rm -rf "$3"
  echo "$out"
}

# rootfs FILE NAME: a fresh directory holding FILE as /NAME.
rootfs() { local d; d=$(mktemp -d); cp "$1" "$d/$2"; chmod 755 "$d"; echo "$d"; }

images() {
  mkdir -p "$DIR/images"
  # Docker makes the images (docker import, scripts/build-images.sh); setup-docker.sh starts it.
  if [ -x scripts/setup-docker.sh ]; then scripts/setup-docker.sh >&2; fi
  docker info >/dev/null 2>&1 || { log "docker is not running: the images are made with it"; exit 1; }
  local pause_src; pause_src=$(cd tools/k8s && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
  image_tar "$PAUSE_IMAGE" '["/pause"]' "$(rootfs "$CACHE/pause-$(src_hash "$pause_src")" pause)"
  image_tar "$COREDNS_IMAGE" '["/coredns"]' "$(rootfs "$COREDNS_BIN" coredns)"
  image_tar "$METRICS_SERVER_IMAGE" '["/metrics-server"]' "$(rootfs "$METRICS_SERVER_BIN" metrics-server)"
  # The toolbox: Debian's static busybox and its applets, for the test's own probe pods.
  local box; box=$(rootfs /bin/busybox busybox)
  mkdir -p "$box/bin" "$box/etc" "$box/tmp" && mv "$box/busybox" "$box/bin/" && chmod 1777 "$box/tmp"
  for applet in sh ls cat echo sleep wget nc nslookup id touch mkdir tar; do ln -s busybox "$box/bin/$applet"; done
  printf 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' >"$box/etc/passwd"
  image_tar "$TOOLBOX_IMAGE" '["/bin/sh"]' "$box"
  # loadgate's own images: scripts/build-images.sh (the containers work) builds them.
  local tags=()
  if [ -x scripts/build-images.sh ]; then
    # Not a process substitution: a failed build must stop here, not leave the cluster imageless.
    local built; built=$(scripts/build-images.sh) || { log "building loadgate's images failed (above)"; exit 1; }
    mapfile -t tags <<<"$built"
  else
    local version; version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
    for tag in loadgate-api loadgate-harness loadgate-test-redis loadgate-test-ferretdb; do
      docker image inspect "$tag:$version" >/dev/null 2>&1 || { log "no image $tag:$version and no scripts/build-images.sh"; exit 1; }
      tags+=("$tag:$version")
    done
  fi
  for tag in "${tags[@]}"; do
    local out; out=$DIR/images/$(echo "$tag" | tr '/:' '__').tar
    docker save "$tag" -o "$out" && echo "$out"
  done
}

# cert NAME CN [O] [SAN]: a key and a certificate signed by the cluster's CA (or by $CA).
cert() {
  local name=$1 cn=$2 org=${3:-} san=${4:-}
  local subj="/CN=$cn"; [ -n "$org" ] && subj="/O=$org$subj"
  openssl genrsa -out "$DIR/pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$DIR/pki/$name.key" -subj "$subj" -out "$DIR/pki/$name.csr" 2>/dev/null
  local ext; ext=$(mktemp)
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' >"$ext"
  [ -n "$san" ] && echo "subjectAltName=$san" >>"$ext"
  local ca=${CA:-ca}
  openssl x509 -req -in "$DIR/pki/$name.csr" -CA "$DIR/pki/$ca.crt" -CAkey "$DIR/pki/$ca.key" -CAcreateserial \
    -days 2 -extfile "$ext" -out "$DIR/pki/$name.crt" 2>/dev/null
  rm -f "$ext" "$DIR/pki/$name.csr"
}

kubeconfig() {  # kubeconfig NAME SERVER: a kubeconfig for the client certificate NAME
  cat >"$DIR/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: loadgate
  cluster: {certificate-authority: $DIR/pki/ca.crt, server: "$2"}
users:
- name: $1
  user: {client-certificate: $DIR/pki/$1.crt, client-key: $DIR/pki/$1.key}
contexts:
- name: loadgate
  context: {cluster: loadgate, user: $1}
current-context: loadgate
EOF
}

pki() {
  mkdir -p "$DIR/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/pki/ca.key" -out "$DIR/pki/ca.crt" -days 2 \
    -subj "/CN=loadgate-test-ca" 2>/dev/null
  cert apiserver kube-apiserver "" "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$NODE_IP,IP:127.0.0.1,IP:${SERVICE_CIDR%.0/24}.1"
  cert admin loadgate-admin system:masters
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kubelet "system:node:$NODE" system:nodes "DNS:$NODE,IP:$NODE_IP"
  cert kube-proxy system:kube-proxy
  cert kube-router system:kube-router
  # metrics-server's serving certificate: the APIService trusts the cluster's CA for it.
  cert metrics-server metrics-server "" "DNS:metrics-server.kube-system.svc"
  # The aggregation layer: the API server proxies to metrics-server with a client certificate of
  # a CA of its own, which metrics-server trusts for the requester's name and groups in headers.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/pki/front-proxy-ca.key" -out "$DIR/pki/front-proxy-ca.crt" \
    -days 2 -subj "/CN=loadgate-front-proxy-ca" 2>/dev/null
  CA=front-proxy-ca cert front-proxy-client front-proxy-client
  openssl genrsa -out "$DIR/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$DIR/pki/sa.key" -pubout -out "$DIR/pki/sa.pub" 2>/dev/null
  for name in controller-manager scheduler kubelet kube-proxy kube-router; do kubeconfig "$name" "https://$NODE_IP:6443"; done
  kubeconfig admin "https://127.0.0.1:$PORT"
  cp "$DIR/admin.kubeconfig" "$DIR/kubeconfig"
}

# start NAME CMD...: run CMD in the node's network namespace, in the background, logged.
start() {
  local name=$1; shift
  setsid nsenter --net="/var/run/netns/$NETNS" "$@" >"$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$DIR/pids/$name"
}

# wait_for WHAT SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
  local what=$1 limit=$2; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [ $((SECONDS - t0)) -ge "$limit" ]; then
      log "$what not ready after ${limit}s; last lines of its log:"; tail -20 "$DIR/logs/$what.log" >&2 || true
      return 1
    fi
    sleep 1
  done
}

network() {
  ip netns add "$NETNS"
  in_ns ip link set lo up
  # The node's address on the namespace's loopback link (these kernels have no dummy links).
  in_ns ip addr add "$NODE_IP/32" dev lo
  # Local traffic to a Service address needs a route before kube-proxy's DNAT; nothing else has one.
  in_ns ip route add "$SERVICE_CIDR" dev lo
  in_ns sysctl -qw net.ipv4.ip_forward=1
  # Bridged pod-to-pod traffic must cross iptables for kube-router's policies to see it.
  in_ns sysctl -qw net.bridge.bridge-nf-call-iptables=1
  mkdir -p "$DIR/cni"
  cat >"$DIR/cni/10-loadgate.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "loadgate", "plugins": [
  {"type": "bridge", "bridge": "lgbr0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$DIR/cni-ipam",
            "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GW"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
}

containerd_up() {
  cat >"$DIR/containerd.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
[grpc]
  address = "$DIR/containerd.sock"
[ttrpc]
  address = "$DIR/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine's root lacks CAP_SYS_RESOURCE: no OOM score below containerd's own (runc would
  # fail to start every sandbox, whose score is -998).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$DIR/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni"
EOF
  start containerd containerd --config "$DIR/containerd.toml"
  wait_for containerd 60 ctr -a "$DIR/containerd.sock" version
  for tar in "$DIR"/images/*.tar; do
    ctr -a "$DIR/containerd.sock" -n k8s.io images import "$tar" >/dev/null
  done
}

control_plane() {
  mkdir -p "$DIR/etcd"
  start etcd etcd --data-dir "$DIR/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster default=http://127.0.0.1:2380 \
    --unsafe-no-fsync
  wait_for etcd 60 in_ns curl -sf http://127.0.0.1:2379/health
  # Aggregator routing: the API server reaches metrics-server at its pod address, not through
  # kube-proxy's Service rules (it is no pod, and needs no Service hop to its own node's pods).
  start kube-apiserver "$KUBE_BIN" kube-apiserver --etcd-servers http://127.0.0.1:2379 \
    --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port 6443 \
    --service-cluster-ip-range "$SERVICE_CIDR" --client-ca-file "$DIR/pki/ca.crt" \
    --tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
    --kubelet-client-certificate "$DIR/pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$DIR/pki/apiserver-kubelet-client.key" \
    --service-account-key-file "$DIR/pki/sa.pub" --service-account-signing-key-file "$DIR/pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --kubelet-preferred-address-types InternalIP \
    --requestheader-client-ca-file "$DIR/pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$DIR/pki/front-proxy-client.crt" --proxy-client-key-file "$DIR/pki/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    --allow-privileged=false --profiling=false
  # Host side: 127.0.0.1:$PORT -> Unix socket -> the API server inside the namespace.
  start apiserver-bridge socat "UNIX-LISTEN:$DIR/apiserver.sock,fork,unlink-early" "TCP:$NODE_IP:6443"
  setsid socat "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$DIR/apiserver.sock" \
    >"$DIR/logs/host-bridge.log" 2>&1 < /dev/null &
  echo $! >"$DIR/pids/host-bridge"
  wait_for kube-apiserver 180 kubectl --kubeconfig "$DIR/kubeconfig" get --raw /readyz
  start kube-controller-manager "$KUBE_BIN" kube-controller-manager \
    --kubeconfig "$DIR/controller-manager.kubeconfig" --authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$DIR/controller-manager.kubeconfig" --leader-elect=false \
    --service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \
    --use-service-account-credentials --cluster-signing-cert-file "$DIR/pki/ca.crt" \
    --cluster-signing-key-file "$DIR/pki/ca.key" --bind-address 127.0.0.1 --profiling=false
  start kube-scheduler "$KUBE_BIN" kube-scheduler --kubeconfig "$DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$DIR/scheduler.kubeconfig" --authorization-kubeconfig "$DIR/scheduler.kubeconfig" \
    --leader-elect=false --bind-address 127.0.0.1 --profiling=false
}

node() {
  : >"$DIR/resolv.conf"  # pods resolve through CoreDNS only; the node has no upstream
  cat >"$DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $DIR/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $DIR/pki/kubelet.crt
tlsPrivateKeyFile: $DIR/pki/kubelet.key
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$DIR/containerd.sock
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: $DIR/resolv.conf
failSwapOn: false
oomScoreAdj: 0  # a lower score needs CAP_SYS_RESOURCE, which root lacks here
# Our images are imported, never pulled: keep them whatever the disk says.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%}
serializeImagePulls: false
maxPods: 60
EOF
  start kubelet "$KUBE_BIN" kubelet --config "$DIR/kubelet.yaml" --kubeconfig "$DIR/kubelet.kubeconfig" \
    --root-dir "$DIR/kubelet" --hostname-override "$NODE" --node-ip "$NODE_IP" \
    --pod-infra-container-image "$PAUSE_IMAGE"
  start kube-proxy "$KUBE_BIN" kube-proxy --kubeconfig "$DIR/kube-proxy.kubeconfig" \
    --hostname-override "$NODE" --cluster-cidr "$POD_CIDR" --proxy-mode iptables \
    --conntrack-max-per-core 0 --oom-score-adj 0 --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256
  wait_for kubelet 180 kctl wait --for=condition=Ready "node/$NODE" --timeout=5s
  firewall
}

# NetworkPolicies: kube-router's policy controller only (no router, no service proxy), a node
# process like kube-proxy with a certificate of its own and the RBAC of tests/cluster/kube-router.yaml.
# Its chains and ipsets live in the node's network namespace and go with it. Pod-to-pod traffic
# on the bridge reaches iptables through br_netfilter (network() sets bridge-nf-call-iptables).
firewall() {
  kctl apply -f tests/cluster/kube-router.yaml >/dev/null
  start kube-router "$KUBE_ROUTER_BIN" --kubeconfig "$DIR/kube-router.kubeconfig" --hostname-override "$NODE" \
    --run-firewall=true --run-router=false --run-service-proxy=false \
    --service-cluster-ip-range "$SERVICE_CIDR" --health-port 20244 --metrics-port 0
  wait_for kube-router 120 in_ns curl -sf http://127.0.0.1:20244/healthz
}

kctl() { kubectl --kubeconfig "$DIR/kubeconfig" "$@"; }

dns() {
  sed -e "s|@DNS_IP@|$DNS_IP|" -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|" tests/cluster/coredns.yaml | kctl apply -f - >/dev/null
  wait_for coredns 180 kctl -n kube-system rollout status deployment/coredns --timeout=5s
}

# metrics-server (tests/cluster/metrics-server.yaml): serves metrics.k8s.io through the
# aggregation layer with its own certificate (the APIService trusts the cluster's CA for it) and
# checks the kubelet's serving certificate against the same CA.
metrics() {
  kctl -n kube-system create secret tls metrics-server-tls --cert "$DIR/pki/metrics-server.crt" \
    --key "$DIR/pki/metrics-server.key" >/dev/null
  sed -e "s|@METRICS_SERVER_IMAGE@|$METRICS_SERVER_IMAGE|" -e "s|@CA_BUNDLE@|$(base64 -w0 "$DIR/pki/ca.crt")|" \
    tests/cluster/metrics-server.yaml | kctl apply -f - >/dev/null
  wait_for metrics-server 180 kctl -n kube-system rollout status deployment/metrics-server --timeout=5s
}

up() {
  [ -x "$KUBE_BIN" ] && [ -x "$COREDNS_BIN" ] && [ -x "$METRICS_SERVER_BIN" ] && [ -x "$KUBE_ROUTER_BIN" ] || build
  if [ -e "/var/run/netns/$NETNS" ]; then down; fi
  rm -rf "$DIR"; mkdir -p "$DIR/logs" "$DIR/pids"
  local t0=$SECONDS
  images >/dev/null
  network
  pki
  containerd_up
  control_plane
  node
  dns
  metrics
  log "cluster up in $((SECONDS - t0)) s; export KUBECONFIG=$DIR/kubeconfig"
  echo "$DIR/kubeconfig"
}

CTR=(ctr -n k8s.io)

down() {
  CTR+=(-a "$DIR/containerd.sock")
  # Pods first, through the kubelet, while it runs (it tears down their network namespaces).
  if [ -s "$DIR/pids/kubelet" ] && kctl get --raw /readyz >/dev/null 2>&1; then
    kctl delete namespace loadgate --ignore-not-found --wait=true --timeout=90s >/dev/null 2>&1 || true
    kctl delete pods --all --all-namespaces --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1 || true
  fi
  # What is left (after a crash): the sandboxes' network namespaces, from containerd's records.
  local netns=()
  if [ -S "$DIR/containerd.sock" ]; then
    mapfile -t netns < <(for c in $("${CTR[@]}" containers ls -q 2>/dev/null); do
      "${CTR[@]}" containers info "$c" 2>/dev/null | python3 -c 'import json, sys
info = json.loads(sys.stdin.read() or "{}")
for ns in (info.get("Spec") or {}).get("linux", {}).get("namespaces", []):
    if ns.get("type") == "network" and ns.get("path", "").startswith("/var/run/netns/"): print(ns["path"])'
    done | sort -u)
    for task in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks kill -s SIGKILL "$task" 2>/dev/null || true; done
  fi
  for pidfile in "$DIR"/pids/*; do
    [ -e "$pidfile" ] || continue
    kill -TERM -- "-$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 2
  for pidfile in "$DIR"/pids/*; do
    [ -e "$pidfile" ] || continue
    kill -KILL -- "-$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  # containerd's shims outlive it: they are the processes started with our socket's address.
  for pid in $(pgrep -f -- "-address $DIR/containerd.sock" || true); do kill -KILL "$pid" 2>/dev/null || true; done
  awk -v d="$DIR/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  for path in "${netns[@]}"; do
    [ -e "$path" ] && { umount -l "$path" 2>/dev/null || true; rm -f "$path"; }
  done
  ip netns delete "$NETNS" 2>/dev/null || true
  log "cluster down"
}

case "${1:-}" in
  build) build ;;
  up) up ;;
  down) down ;;
  *) echo "usage: $0 build|up|down" >&2; exit 2 ;;
esac
