# Sourced by bench/gateway.sh: a CPU profile of the gateway under load.
# When the gateway was started with --pprof (gateway.sh does so when its
# help lists the flag), Go's own profiler samples it: exact Go symbols, no
# privileges needed. Otherwise this samples the whole machine with perf
# (call graphs from Go's frame pointers) while wrk drives the gateway, then
# reports the split between processes and the gateway's hottest functions,
# by self time and with callees included.

profile_gateway() {
	if [ -n "$PPROF_ADDR" ] && command -v go >/dev/null 2>&1; then
		profile_pprof && return 0
		log "no pprof profile: trying perf"
	fi
	profile_perf
}

# profile_pprof fetches a CPU profile from the gateway's net/http/pprof
# under PROFILE_CONNS connections of max-mode load. The endpoint is
# unauthenticated, on its own loopback listener, so no key goes along.
profile_pprof() {
	local secs=10 c=$PROFILE_CONNS wrk_pid ok=0
	log "profiling the gateway through pprof at $c connections for ${secs}s"
	wrk_run gateway "$c" "$((secs + 3))s" "$WORK/wrk-profile.txt" &
	wrk_pid=$!
	sleep 1
	curl -sf -o "$WORK/gw.prof" "http://$PPROF_ADDR/debug/pprof/profile?seconds=$secs" && ok=1
	wait "$wrk_pid" || true
	[ "$ok" = 1 ] && [ -s "$WORK/gw.prof" ] || return 1
	echo "## CPU profile: gateway at $c connections, ${secs}s, net/http/pprof"
	echo
	echo "wrk during the profile: $(grep '^BENCH ' "$WORK/wrk-profile.txt" | cut -d' ' -f2-4)"
	echo
	go tool pprof -top -nodecount 40 "$WORK/gw.prof" 2>&1 | section "gateway: go tool pprof -top -nodecount 40"
}

# perf_ok says whether perf can sample here (it may lack permission in a
# container, or be missing: then try the linux-perf package once).
perf_ok() {
	if ! command -v perf >/dev/null 2>&1; then
		log "installing linux-perf for the profile"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >&2 2>/dev/null || return 1
	fi
	perf record -F 99 -o "$WORK/perf-check.data" -- true >/dev/null 2>&1
}

# Pipes end in sed -n, not head: head exiting early would fail the
# pipeline (pipefail) and, under set -e, the script.
#
# perf_rows ARGS...: perf report's rows without comments, blank lines or
# the empty trailing columns it pads them with.
perf_rows() {
	perf report -i "$WORK/perf.data" --stdio -g none "$@" 2>/dev/null |
		grep -v -e '^#' -e '^$' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//'
}

# section TITLE: a Markdown heading and a code block of standard input.
section() {
	printf '### %s\n\n```\n' "$1"
	cat
	printf '```\n\n'
}

# by_process shares the samples out by process (perf's "pid" sort key is
# the thread), naming the two modelward processes this script started.
by_process() {
	perf script -i "$WORK/perf.data" -F comm,pid 2>/dev/null | awk -v gw="$gateway_PID" -v up="$upstream_PID" '
		{ p = $NF; n[p]++; total++; if (!(p in c)) c[p] = $1 }
		END {
			for (p in n) {
				name = (p == gw) ? " (gateway)" : (p == up) ? " (upstream)" : ""
				printf "%6.2f%%  %7s  %s%s\n", 100 * n[p] / total, p, c[p], name
			}
		}' | sort -rn | sed -n 1,15p
}

# STAGES picks the frames that say where the time goes: the gateway's own
# code, what it calls per request, and the HTTP and runtime machinery
# around it (parsing requests, the upstream client, the scheduler, GC).
STAGES='modelward/|database/sql\.\(\*Stmt\)\.QueryRowContext|log/slog\.\(\*Logger\)\.log|encoding/json\.(Unmarshal|Marshal|\(\*Decoder\)\.Decode)|net/http\.\(\*conn\)\.readRequest|net/http\.\(\*response\)\.finishRequest|net/http\.\(\*persistConn\)\.(readLoop|writeLoop)|runtime\.(gcBgMarkWorker|findRunnable|mallocgc)$'

profile_perf() {
	local secs=10 c=$PROFILE_CONNS
	if ! perf_ok; then
		log "perf cannot sample here: no profile"
		return 0
	fi
	log "profiling the gateway at $c connections for ${secs}s"
	wrk_run gateway "$c" "$((secs + 3))s" "$WORK/wrk-profile.txt" &
	local wrk_pid=$!
	sleep 1
	perf record -F 999 -g -a -o "$WORK/perf.data" -- sleep "$secs" >/dev/null 2>&1
	wait "$wrk_pid" || true
	echo "## CPU profile: gateway at $c connections, ${secs}s, perf -F 999 -a"
	echo
	echo "wrk during the profile: gateway pid $gateway_PID, upstream pid $upstream_PID, $(grep '^BENCH ' "$WORK/wrk-profile.txt" | cut -d' ' -f2-4)"
	echo
	perf_rows --sort comm | sed -n 1,12p | section "the whole machine, by command"
	by_process | section "the whole machine, by process"
	local gw=(--pid "$gateway_PID" --percentage relative)
	perf_rows "${gw[@]}" --no-children --sort symbol | sed -n 1,30p | section "gateway: self time, top 30"
	perf_rows "${gw[@]}" --children --sort symbol | sed -n 1,40p | section "gateway: with callees, top 40"
	perf_rows "${gw[@]}" --children --sort symbol |
		{ grep -E "$STAGES" || true; } | sed -n 1,50p |
		section "gateway: with callees, by stage (its code, SQLite, slog, JSON, HTTP, runtime)"
}
