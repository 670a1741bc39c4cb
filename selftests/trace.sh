#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How long kernel functions run, with the function graph tracer, for the
# benchmarks (sourced):
#
#   trace_on FUNCTION...   time every call of these from now on
#   trace_max FUNCTION     the longest call so far, in microseconds
#   trace_count FUNCTION   how many calls were timed
#   trace_off
tr=/sys/kernel/debug/tracing

trace_on() {
	echo 0 >$tr/tracing_on
	echo "$*" >$tr/set_ftrace_filter
	echo function_graph >$tr/current_tracer
	echo >$tr/trace
	echo 1 >$tr/tracing_on
}

trace_durations() { # FUNCTION
	grep -a " $1" $tr/trace | sed -n 's/.* \([0-9.]*\) us .*/\1/p'
}

trace_max() {
	trace_durations "$1" | sort -g | tail -n 1
}

trace_count() {
	trace_durations "$1" | grep -c .
}

trace_off() {
	echo 0 >$tr/tracing_on
	echo nop >$tr/current_tracer
	echo >$tr/set_ftrace_filter
}
