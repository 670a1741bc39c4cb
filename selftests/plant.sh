#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Do the tests catch the bugs they are meant to? Plant each bug of the
# table below, one at a time, in a scratch copy of the tree (as it is now,
# uncommitted changes included), rebuild what changed, run the VM tests
# named for it (run.sh --no-host) and say "caught", with the assertions
# that failed, or "MISSED". First the same tests run on the unplanted copy,
# which must pass. The tree itself is never written to, so an interrupted
# run leaves it as it was; the copy is in build/plant. Not part of make
# check: each bug is one VM boot (about 5 minutes for test_persist.sh).
#
# usage: selftests/plant.sh [BUG...]   (default: every bug of the table)
#        selftests/plant.sh --try FILE PERL-SUBSTITUTION VM-TEST...
#               (a bug of your own, for a new test: no unplanted run)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
scratch=$top/build/plant/tree
# test_nlfuzz.sh sends this many messages each way here (make check: 1e6).
FUZZ=100000

# bug NAME FILE PERL-SUBSTITUTION VM-TEST...: one bug of the table
names=() files=() substs=() tests=()
bug() {
	names+=("$1") files+=("$2") substs+=("$3")
	shift 3
	tests+=("$*")
}
bug mh-ignores-weights kmod/sched.c \
	's/scaled_weights\(s, w, 16 \* s->n\);/for (unsigned int k = 0; k < s->n; k++) w[k] = 1;/' \
	test_sched.sh
bug mh-keeps-down-server kmod/sched.c \
	's/if \(eligible\(srv\)\)/if (eligible(srv) || (svc->sched == CASVIP_SCHED_MH && !srv->dead && srv->admin == CASVIP_ADMIN_ENABLED && srv->weight))/' \
	test_sched.sh
bug server-counters-not-counted kmod/nat.c \
	's/\tcasvip_stats_conn\(srv->stats\);\n//; s/\t\tif \(srv\) \{\n(\t\t\tsrv->traffic)/\t\tif (0) {\n$1/' \
	test_datapath.sh
bug flush-before-fold kmod/nat.c \
	's/\tcasvip_conns_fold\(svc\);\n\tnf_ct_iterate_cleanup_net\(retired_iter, &d\);/\tnf_ct_iterate_cleanup_net(retired_iter, &d);/' \
	test_datapath.sh
bug first-packet-uncounted kmod/nat.c \
	's/\t\tnf_ct_acct_update\(ct, IP_CT_DIR_ORIGINAL, skb->len\);\n//' \
	test_datapath.sh
bug offload-sets-stay ctl/offload.c \
	's/if \(offload_state\(NULL, err\) <= 0 \|\| !offload_run\(nl, false, err\)\)/if (1)/' \
	test_offload.sh
bug offload-uncounted ctl/offload.c \
	's/ \}; counter; \}/ }; }/' \
	test_offload.sh
bug ipv6-refusal-with-ipv4-reset kmod/nat.c \
	's/nf_send_reset6\((state->net, state->sk, skb, state->hook)\)/nf_send_reset($1)/' \
	test_datapath.sh
bug save-omits-netmask ctl/apply.c \
	's/cv_format_service\(stdout, s, s->given\)/cv_format_service(stdout, s, s->given & ~CV_NETMASK)/' \
	test_config.sh
bug healthd-ignores-rise ctl/healthd.c \
	's/t->oks >= t->hc.rise/t->oks >= 1/' \
	test_health.sh
bug lc-of-many-takes-busier kmod/sched.c \
	's/s->srv\[k\] : s->srv\[i\];/s->srv[i] : s->srv[k];/' \
	test_sched.sh
bug wlc-is-lc kmod/sched.c \
	's/return least_conns\(s, true\)/return least_conns(s, false)/' \
	test_sched.sh
bug persist-commands-unprivileged kmod/netlink.c \
	's/OP\((CASVIP_CMD_PERSIST_(?:DEL|NEW)), (\w+), NULL, (\w+)\),/{ .cmd = $1, .doit = $2, .policy = $3, .maxattr = CASVIP_A_MAX },/g' \
	netlink_test test_ctl.sh test_nlfuzz.sh
# Issue 11's defects, as they were.
bug every-client-proven kmod/persist.c \
	's/\} else if \(ct\) \{/} else if (0) {/' \
	test_persist.sh
bug no-default-persist-limit kmod/persist.c \
	's/READ_ONCE\(svc->persist_max\) \?: READ_ONCE\(nf_conntrack_max\)/READ_ONCE(svc->persist_max)/' \
	test_persist.sh
bug evict-idle-before-unproven kmod/persist.c \
	's/(\tpersist_walk\(svc, &svc->persist_new, evict_new, &gc\);\n)(\tpersist_walk\(svc, &svc->persist_idle, evict_idle, &gc\);\n)/$2$1/' \
	test_persist.sh
bug evict-proven-client kmod/persist.c \
	's/if \(probe_check\(gc->net, e->probe, IPS_ASSURED_BIT\) == PROBE_PROVEN\) \{\n\t\tpersist_proven/if (0) {\n\t\tpersist_proven/' \
	test_persist.sh
bug small-table-never-evicts kmod/persist.c \
	's/\.target = max - 1 - max \/ 8/.target = max - max \/ 8/' \
	test_persist.sh
bug service-del-keeps-conns kmod/service.c \
	's/if \(flush && flush_conns\)/if (0)/' \
	test_persist.sh
bug service-set-opens-a-hole kmod/service.c \
	's/(\t\thash_add_rcu\(cn->by_vip, &v->node, vip_hash\(&v->match\)\);\n\t\trcu_assign_pointer\(svc->vnode, v\);\n)(\t\thash_del_rcu\(&old->node\);\n)/$2\t\tsynchronize_net();\n$1/' \
	test_persist.sh
bug apply-adds-servers-one-by-one ctl/apply.c \
	's/ret = send_service\(p, CASVIP_CMD_SERVICE_NEW, w, all, srvs,\n\t\t\t\t   w->nsrv\);/ret = send_service(p, CASVIP_CMD_SERVICE_NEW, w, all, srvs, 0);\n\t\tfor (size_t j = 0; !ret && j < w->nsrv; j++)\n\t\t\tret = cv_servers_talk(p->nl, CASVIP_CMD_SERVER_NEW, w->name, &srvs[j], 1);/' \
	test_persist.sh
bug kept-conns-lose-their-nat kmod/service.c \
	's/if \(!cn->nservices && list_empty\(&cn->kept\) && cn->hooked\)/if (!cn->nservices \&\& cn->hooked)/' \
	test_persist.sh
bug port-removal-keeps-conns kmod/service.c \
	's/if \(moved\)\n(\t\tcasvip_conns_flush_moved)/if (0)\n$1/' \
	test_persist.sh
bug lint-warns-6000-6004 ctl/config.c \
	's/p->last < RPC_DYNAMIC_FIRST \|\|/p->last < RPC_DYNAMIC_FIRST - 5 ||/' \
	test_config.sh
# Issue 15: what the monitoring reads.
bug no-health-event kmod/service.c \
	's/if \(srv->health != undo\[i\]\.health\)/if (0)/' \
	test_monitor.sh
bug events-for-anyone kmod/netlink.c \
	's/\.flags = CASVIP_MCAST_CAP,/.flags = 0,/' \
	test_monitor.sh
bug drained-told-every-second kmod/persist.c \
	's/\} else if \(!srv->drained_told\) \{/} else {/' \
	test_monitor.sh
bug answered-counts-unreplied kmod/persist.c \
	's/case PROBE_PROVEN:\n(\t\t\tsrv->counts\.watched)/case PROBE_PROVEN:\n\t\t\tsrv->counts.unreplied++;\n$1/' \
	test_metrics.sh
bug ports-share-one-counter kmod/casvip.h \
	's/k \+= port - v->match\.ranges\[i\]\.first;/k += 0;/' \
	test_metrics.sh
bug ended-not-counted kmod/nat.c \
	's/\tsvc->counts\.ended\+\+;\n\tif \(srv\)\n\t\tsrv->counts\.ended\+\+;//' \
	test_metrics.sh
bug zero-leaves-ports kmod/service.c \
	's/ps->zero\[k\]\.conns \+= conns;//' \
	test_metrics.sh
bug metrics-label-unescaped ctl/metrics.c \
	's/if \(\*s == .\\\\. \|\| \*s == .".\)\n\t\t\tfputc\(.\\\\., f\);//' \
	test_metrics.sh
bug apply-not-logged ctl/apply.c \
	's/for \(line = strtok_r\(changes, "\\n", &save\); line;/for (line = strtok_r(changes, "\\n", &save); line && !changes;/' \
	test_monitor.sh

log() { printf '%s\n' "$*" >&2; }

# Make the scratch copy and build it all once.
prepare() {
	rm -rf "$scratch"
	mkdir -p "$scratch/build"
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - |
		tar -xf - -C "$scratch"
	ln -s "$top/build/ksrc" "$scratch/build/ksrc"
	build
}

build() {
	make -C "$scratch" all >"$scratch/build/make.log" 2>&1 &&
		make -C "$scratch/selftests" KSRC="$top/build/ksrc" \
			>>"$scratch/build/make.log" 2>&1
}

# Run VM tests in the copy; print each failed assertion as "TEST: not ok …".
run() {
	"$scratch/selftests/run.sh" --no-host --fuzz $FUZZ "$@" \
		>"$scratch/build/run.log" 2>&1
	tr -d '\r' <"$scratch/build/selftests/console.log" |
		awk '/^@@@ test / { t = $3 } /^not ok / { print t ": " $0 }
		     /^@@@ exit / && $4 != 0 { print $3 ": exit status " $4 }'
	grep -a '^not ok 0 vm: \(kernel log\|.*did not finish\)' \
		"$scratch/build/run.log"
}

baseline=1
if [ "${1:-}" = --try ]; then
	[ $# -ge 4 ] || { log "usage: $0 --try FILE PERL-SUBSTITUTION VM-TEST..."; exit 2; }
	names=(try) files=("$2") substs=("$3") tests=("${*:4}")
	baseline=
	set --
fi

[ -d "$top/build/ksrc" ] || make ksrc >/dev/null || exit 1
picked=()
for i in "${!names[@]}"; do
	[ $# = 0 ] || [[ " $* " == *" ${names[i]} "* ]] && picked+=("$i")
done
[ ${#picked[@]} -gt 0 ] || { log "no such bug: $*"; exit 2; }

log "# building a scratch copy in $scratch"
prepare || { log "the unplanted copy does not build: $scratch/build/make.log"; exit 1; }
all_tests=$(for i in "${picked[@]}"; do echo ${tests[i]}; done |
	tr ' ' '\n' | sort -u | xargs)
if [ -n "$baseline" ]; then
	log "# unplanted: $all_tests"
	failed=$(run $all_tests)
	if [ -n "$failed" ]; then
		echo "unplanted: fails, nothing to measure"
		echo "$failed" | sed 's/^/    /'
		exit 1
	fi
	echo "unplanted: $all_tests pass"
fi

missed=0
for i in "${picked[@]}"; do
	name=${names[i]} file=${files[i]}
	log "# planting $name in $file"
	cp "$scratch/$file" "$scratch/build/orig"
	perl -0pe "${substs[i]}" "$scratch/build/orig" >"$scratch/$file"
	if cmp -s "$scratch/build/orig" "$scratch/$file"; then
		echo "NOT PLANTED $name: the substitution matches nothing in $file"
		missed=$((missed + 1))
	elif ! build; then
		echo "NOT PLANTED $name: does not build ($scratch/build/make.log)"
		missed=$((missed + 1))
	else
		log "$(diff -u "$scratch/build/orig" "$scratch/$file" | tail -n +3)"
		failed=$(run ${tests[i]})
		if [ -n "$failed" ]; then
			echo "caught $name"
		else
			echo "MISSED $name"
			missed=$((missed + 1))
		fi
		# Per test: how many assertions failed, and the first one.
		for t in ${tests[i]}; do
			n=$(grep -c "^$t: not ok" <<<"$failed")
			first=$(grep -m 1 "^$t: " <<<"$failed")
			if [ -n "$first" ]; then
				echo "    $t: $n failed, first: ${first#"$t: "}"
			else
				echo "    $t: passed"
			fi
		done
		# Then what failed outside them (the kernel log, ...).
		awk -v tests=" ${tests[i]} " '{ t = $1; sub(/:$/, "", t) }
			NF && !index(tests, " " t " ") { print "    " $0 }' <<<"$failed"
	fi
	# A new mtime: the next build compiles it again.
	cp "$scratch/build/orig" "$scratch/$file"
done
echo "$missed of ${#picked[@]} planted bugs missed"
[ "$missed" = 0 ]
