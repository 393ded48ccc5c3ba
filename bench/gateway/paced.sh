# Sourced by bench/gateway.sh: the paced mode. nginx and the gateway get
# the same offered rate (RATES, req/s over PACED_CONNS connections), so
# their latencies are compared at the same load rather than at the same
# concurrency, where the faster one would also carry more load.

run_paced() {
	local r t
	for r in $RATES; do
		for t in nginx gateway; do measure "$t" "$PACED_CONNS" "$r"; done
	done
}

# lat KEY: "p50 / p90 / p99" in milliseconds.
lat() { echo "$(ms "$(field "$1" p50)") / $(ms "$(field "$1" p90)") / $(ms "$(field "$1" p99)")"; }

# paced_verdict NGINX_KEY GATEWAY_KEY: "added p99 ms|target met". The
# latency target holds only where nginx's p99 is under 5 ms; elsewhere the
# load is past what the issue asks about.
paced_verdict() {
	local v
	v=$(awk -v np="$(field "$1" p99)" -v gp="$(field "$2" p99)" 'BEGIN {
		add = (gp - np) / 1000
		met = (np >= 5000) ? "n/a (nginx p99 >= 5 ms)" : (add <= 1 ? "yes" : "no")
		printf "%.3f|%s", add, met }')
	valid "$1" && valid "$2" || v="${v%|*}|INVALID run"
	echo "$v"
}

table_paced() {
	local r n g add met
	local how
	case $(field "nginx,r${RATES%% *}" pacing) in
	clock) how="each wrk thread sends on a schedule of slots on the monotonic clock" ;;
	fixed) how="a fixed wait before each request (no ffi in wrk's LuaJIT): achieved falls below offered" ;;
	*) how="unknown pacing" ;;
	esac
	echo "## Paced: the same offered rate to both, $PACED_CONNS connections"
	echo
	echo "Latencies are p50 / p90 / p99 in ms; achieved is what wrk completed per second;" \
		"$how; the same $ROWS rows to both."
	echo
	echo "| offered req/s | nginx achieved | nginx latency ms | gateway achieved | gateway latency ms" \
		"| added p99 ms | CPU µs/req nginx / gateway | target met |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---|"
	for r in $RATES; do
		n="nginx,r$r" g="gateway,r$r"
		IFS='|' read -r add met <<<"$(paced_verdict "$n" "$g")"
		printf '| %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' "$r" "$(field "$n" rps)" "$(lat "$n")" \
			"$(field "$g" rps)" "$(lat "$g")" "$add" "$(field "$n" cpu)" "$(field "$g" cpu)" "$met"
	done
	echo
}
