#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The lab of a redundant pair, sourced after lib.sh (test_pair.sh):
#
#   lab_cl: clients 10.0.1.1-40 --+                   +-- lab_s1..lab_s4
#                                  |                   |   10.0.2.11-14, gw .254
#                    lab_sw: brc (clients' LAN)   brs (servers' LAN)
#                                  |                   |
#        lab_lb1: eth0 10.0.1.251 -+  eth1 10.0.2.251 -+
#        lab_lb2: eth0 10.0.1.252 -+  eth1 10.0.2.252 -+
#        lab_lb1 sync0 192.168.100.1 --- 192.168.100.2 sync0 lab_lb2
#
# keepalived moves the VIP 10.0.0.100 (on eth0) and the servers' gateway
# 10.0.2.254 (on eth1) together; conntrackd copies the connections over
# sync0. Each box's files are in /root/lbN (keepalived runs scripts only
# from where no one but root may write), made from the examples as the
# README says, with the paths of two boxes on one machine. Each server
# runs fakecas -e (it echoes) on $PAIR_PORTS, named srv1..srv4.

PAIR_PORTS="135 60001 60002"
VIP=10.0.0.100

cl() { $ip netns exec lab_cl "$@"; }
lb1() { $ip netns exec lab_lb1 "$@"; }
lb2() { $ip netns exec lab_lb2 "$@"; }

# Client addresses 10.0.1.FIRST .. 10.0.1.LAST.
clients() {
	local i
	for ((i = $1; i <= $2; i++)); do
		echo "10.0.1.$i"
	done
}

pair_up() {
	local i n
	for ns in sw cl lb1 lb2 s1 s2 s3 s4; do
		$ip netns add lab_$ns
		$ip -n lab_$ns link set lo up
	done
	$ip -n lab_sw link add brc type bridge
	$ip -n lab_sw link add brs type bridge
	$ip -n lab_sw link set brc up
	$ip -n lab_sw link set brs up
	# port NS IFNAME BRIDGE: a veth from NS's IFNAME to the bridge
	port() {
		$ip link add "$2" netns "lab_$1" type veth peer name "$1-$2" netns lab_sw
		$ip -n lab_sw link set "$1-$2" master "$3" up
		$ip -n "lab_$1" link set "$2" up
	}
	port cl c0 brc
	{
		for i in $(seq 1 40); do echo "addr add 10.0.1.$i/24 dev c0"; done
		# The VIP is on the clients' LAN: whichever box holds it answers ARP.
		echo "route add $VIP/32 dev c0"
	} | $ip -n lab_cl -batch -
	for n in 1 2; do
		port lb$n eth0 brc
		port lb$n eth1 brs
		$ip -n lab_lb$n addr add 10.0.1.25$n/24 dev eth0
		$ip -n lab_lb$n addr add 10.0.2.25$n/24 dev eth1
		lb$n sysctl -qw net.ipv4.ip_forward=1 \
			net.netfilter.nf_conntrack_tcp_be_liberal=1 \
			net.netfilter.nf_conntrack_acct=1
	done
	$ip link add sync0 netns lab_lb1 type veth peer name sync0 netns lab_lb2
	$ip -n lab_lb1 addr add 192.168.100.1/30 dev sync0
	$ip -n lab_lb2 addr add 192.168.100.2/30 dev sync0
	$ip -n lab_lb1 link set sync0 up
	$ip -n lab_lb2 link set sync0 up
	for i in 1 2 3 4; do
		port s$i eth0 brs
		$ip -n lab_s$i addr add 10.0.2.1$i/24 dev eth0
		$ip -n lab_s$i route add default via 10.0.2.254
		$ip netns exec lab_s$i /tests/fakecas -e srv$i $PAIR_PORTS &
		servers[$i]=$!
	done
}

# The files of box N (1 or 2) from dist/pair/, as the README says.
pair_files() {
	local n=$1 d=/root/lb$1
	mkdir -p $d
	sed -e "s|/usr/lib/casvip/keepalived-notify|$d/notify|" /stage/usr/share/doc/casvip/examples/keepalived.conf >$d/keepalived.conf
	sed -e "s|/var/lock/conntrackd.lock|$d/conntrackd.lock|" \
		-e "s|/var/run/conntrackd.ctl|$d/conntrackd.ctl|" \
		/stage/usr/share/doc/casvip/examples/conntrackd.conf >$d/conntrackd.conf
	# A debug kernel under TCG misses adverts 100 ms apart, and the pair
	# flaps, both boxes master at once: there, an advert a second.
	[ -z "$SLOW" ] || sed -i 's/advert_int 0\.1$/advert_int 1/' $d/keepalived.conf
	if [ "$n" = 2 ]; then
		sed -i -e 's/casvip-lb1/casvip-lb2/' -e 's/priority 150/priority 100/' $d/keepalived.conf
		sed -i -e 's/IPv4_address 192.168.100.1\b/IPv4_address 192.168.100.2/' \
			-e 's/IPv4_Destination_Address 192.168.100.2/IPv4_Destination_Address 192.168.100.1/' \
			$d/conntrackd.conf
	fi
	# The notify hook, with this box's conntrackd; a log of its calls.
	{
		echo "#!/bin/sh"
		echo "echo \"\$(date +%s.%N) \$1\" >>$d/notify.log"
		echo "CONNTRACKD_CONF=$d/conntrackd.conf exec /stage/usr/lib/casvip/keepalived-notify \"\$@\""
	} >$d/notify
	chmod 755 $d/notify
}

# Start box N's daemons: conntrackd, keepalived, healthd, the learner.
pair_start() {
	local n=$1 d=/root/lb$1
	rm -f $d/conntrackd.lock $d/conntrackd.ctl
	$ip netns exec lab_lb$n conntrackd -C $d/conntrackd.conf >$d/conntrackd.log 2>&1 &
	ctd[$n]=$!
	sleep 0.3
	# A process group of its own: keepalived forks its VRRP child.
	setsid $ip netns exec lab_lb$n keepalived -n -l -G -D -P \
		-f $d/keepalived.conf -p $d/keepalived.pid -r $d/vrrp.pid \
		>>$d/keepalived.log 2>&1 &
	kad[$n]=$!
	$ip netns exec lab_lb$n casvipctl healthd 2>$d/healthd.log &
	hd[$n]=$!
	$ip netns exec lab_lb$n casvipctl persist learn --follow >$d/learn.log 2>&1 &
	lrn[$n]=$!
}

# Who holds the VIP: lb1, lb2, "lb1 lb2" (both: split brain), or none.
vip_holder() {
	local n who=
	for n in 1 2; do
		$ip -n lab_lb$n -br addr show dev eth0 | grep -q "UP .* $VIP/32" &&
			who="$who${who:+ }lb$n"
	done
	echo "${who:-none}"
}

holder_is() { test "$(vip_holder)" = "$1"; }

pair_down() {
	kill ${servers[@]} ${lrn[@]} ${hd[@]} ${kad[@]} ${ctd[@]} 2>/dev/null
	wait 2>/dev/null
}
