#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot-time apply: what casvip.service runs, from the tree make install
# staged (/stage), brings up the configuration on a box where the module is
# not loaded yet; its reload applies a changed file.
. /tests/lib.sh
unit=/stage/lib/systemd/system/casvip.service
check "the staged unit is here" test -s $unit
rmmod casvip 2>/dev/null
mkdir -p /etc/casvip
cat >/etc/casvip/casvip.conf <<'CONF'
service outlook vip 10.0.0.100 ports 135,60001-60002
	server 10.0.2.11
	server 10.0.2.12
CONF
env_unit() { # UNIT CMD...: CMD with $unit set to UNIT
	local unit=$1
	shift
	"$@"
}
run_unit() { # KEY: run the unit's KEY= lines, as systemd would; none fails
	local cmd n=0
	while IFS= read -r cmd; do
		$cmd || return 1
		n=$((n + 1))
	done < <(sed -n "s/^$1=//p" $unit)
	if [ $n = 0 ]; then
		echo "no $1= line in $unit"
		return 1
	fi
}
check "ExecStart lines succeed" run_unit ExecStart
check "the module is loaded" grep -q '^casvip ' /proc/modules
check_eq "the configuration is applied" "outlook 10.0.2.11 10.0.2.12" \
	"$(casvipctl -j show | jq -r '[.[] | .name, .servers[].address] | join(" ")')"
echo "	server 10.0.2.13" >>/etc/casvip/casvip.conf
echo "	check tcp 135 interval 1 timeout 1 fall 1" >>/etc/casvip/casvip.conf
check "ExecReload succeeds" run_unit ExecReload
check_eq "the reload added the server" 3 "$(casvipctl -j show outlook | jq '.[0].num_servers')"
# A restart must not disturb what runs: a client pinned to a server
# stays there, no server is re-added, nothing is changed.
casvipctl persist add outlook client 10.0.1.1 server 10.0.2.12
running() {
	show_state
	casvipctl -j persist show outlook | jq -c '[.[] | .client, .server]'
}
before=$(running)
check "ExecStart again (a restart) changes nothing" run_unit ExecStart
check_eq "... the services, servers and the pinned client are as they were" \
	"$before" "$(running)"
unit=/stage/lib/systemd/system/casvip-healthd.service
check "the staged healthd unit is here" test -s $unit
# Its ExecStart runs until stopped: start it, let it mark the three
# (absent) servers down, stop it as systemd would.
$(sed -n 's/^ExecStart=//p' $unit) 2>/tmp/hd.log &
hd=$!
for _ in $(seq 1 30); do
	[ "$(casvipctl -j show outlook | jq '[.[0].servers[] | select(.health == "down")] | length')" = 3 ] && break
	sleep 0.2
done
check_eq "healthd under the unit's command line marks dead servers down" 3 \
	"$(casvipctl -j show outlook | jq '[.[0].servers[] | select(.health == "down")] | length')"
# The reload of casvip.service applies the file: a running healthd takes
# its changed checks (no restart; the unit also propagates the reload).
check "the healthd unit reloads with casvip.service" \
	grep -qx "ReloadPropagatedFrom=casvip.service" $unit
sed -i 's/check tcp 135 interval 1 timeout 1 fall 1/check tcp 136 interval 1 timeout 1 rise 1 fall 1 unforwarded/' \
	/etc/casvip/casvip.conf
check "casvip.service's ExecReload with a changed check" \
	env_unit /stage/lib/systemd/system/casvip.service run_unit ExecReload
healthd_took_it() {
	casvipctl -j show outlook | jq -e '.[0].servers[] | select(.address == "10.0.2.11") | .health_reason | startswith("tcp 136")' >/dev/null
}
check "... the running healthd runs it within 7 s" wait_for 7 healthd_took_it
kill -TERM $hd
wait $hd
check_eq "and stops on SIGTERM" 0 $?
check_eq "still three servers" 3 "$(casvipctl -j show outlook | jq '.[0].num_servers')"

# The metrics unit writes what node_exporter's textfile collector reads,
# where Debian's prometheus-node-exporter looks; its timer runs it.
unit=/stage/lib/systemd/system/casvip-metrics.service
check "the staged metrics unit is here" test -s $unit
dir=$(sed -n 's/^ConditionPathIsDirectory=//p' $unit)
check_eq "it runs where node_exporter's textfile directory is" \
	/var/lib/prometheus/node-exporter "$dir"
mkdir -p "$dir"
check "its ExecStart succeeds" run_unit ExecStart
check "... and writes metrics promtool finds clean" \
	promtool check metrics <"$dir/casvip.prom"
check "... of the service" grep -q '^casvip_service_servers{service="outlook",vip="10.0.0.100"} 3$' \
	"$dir/casvip.prom"
check_eq "the timer runs it every 15 s" "OnUnitActiveSec=15s" \
	"$(grep OnUnitActiveSec /stage/lib/systemd/system/casvip-metrics.timer)"
casvipctl flush
ktap_done
