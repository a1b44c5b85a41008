# Names and addresses of the network-namespace topology; sourced by up.sh and down.sh.
#
# Every namespace is ours (prefix eir-). The bridge lives in a namespace of its own (eir-br) and the root namespace
# gets no interface at all: nothing in 10.77.0.0/24 is reachable from the host, and nothing in it can reach beyond
# (no default route anywhere, no NAT, no link to the host's interfaces).

BRIDGE_NS=eir-br
BRIDGE=br0
PREFIX_LEN=24

declare -A ADDR=(
  [eir-redis1]=10.77.0.11   # Redis primary at start
  [eir-redis2]=10.77.0.12   # Redis replica at start
  [eir-sent1]=10.77.0.21    # redis-sentinel x3 (quorum 2)
  [eir-sent2]=10.77.0.22
  [eir-sent3]=10.77.0.23
  [eir-node1]=10.77.0.31    # ImeiEir nodes
  [eir-node2]=10.77.0.32
  [eir-node3]=10.77.0.33
  [eir-ops]=10.77.0.40      # the operator's host: eir CLI, Prometheus, probes, Diameter client
)
HOST_NS=(eir-redis1 eir-redis2 eir-sent1 eir-sent2 eir-sent3 eir-node1 eir-node2 eir-node3 eir-ops)
ALL_NS=("$BRIDGE_NS" "${HOST_NS[@]}")
SENTINELS=(eir-sent1 eir-sent2 eir-sent3)
NODES=(eir-node1 eir-node2 eir-node3)
SERVICE_NAME=eir
