#!/usr/bin/env bash
# The runtime gateway beside nginx: wrk sends the same Open Inference
# Protocol v2 requests (real UCI digits rows, rotating) to the demo model
# directly, through nginx proxy_pass, and through 'modelward gateway' with
# authentication, rate limits, input validation, extraction detection and
# output hardening on, in one run on one machine. The issue's targets are
# "added p99 at most 1 ms at a load where nginx's p99 is under 5 ms" and
# "throughput at least 80% of nginx's"; two modes measure them:
#
# - max: wrk's closed loop, a few connection counts each sending as fast
#   as answers come back. Tables of throughput and latency per target, the
#   gateway's added p99 and req/s ratio against nginx at each load, and a
#   last line with each one's best throughput and their ratio (the
#   throughput target).
# - paced: a fixed offered rate (req/s, all connections together) to nginx
#   and to the gateway, the same requests to both, so that latency is
#   compared at the same load, well under saturation (the latency target).
#   wrk holds connections, not a rate: infer.lua's delay() holds each
#   request back to its slot on a per-thread schedule (see there). The
#   table shows the achieved rate beside the offered one: a target that
#   cannot keep up, or wrk starved of CPU, falls short of it.
#
# Max mode also runs three baselines beside them (BASELINES), to show
# where a proxy's CPU per request goes on this machine: "goproxy", net/http
# with httputil.ReverseProxy, the proxy a Go user would otherwise write;
# "floor", a hand-written HTTP/1.1 loop that forwards through the
# gateway's own upstream client and checks nothing, the least a Go proxy
# costs here; and "gateway-bare", the gateway with authentication, rate
# limits and validation but no detection or hardening. Their table ends
# with the gateway's CPU budget: the CPU per request at which it would
# reach 80% of nginx's throughput, all else in the run unchanged.
#
# A run in which any response is not 200 is reported as invalid. Then it
# profiles the gateway's CPU under load: through the gateway's own
# net/http/pprof when 'modelward gateway --help' lists a --pprof flag (a
# 10 s CPU profile, 'go tool pprof -top'), else with perf when available.
#
#   bash bench/gateway.sh              # from the repository root, ~8 minutes
#   MODES=paced RATES="500 1000" bash bench/gateway.sh
#   PIN=1 bash bench/gateway.sh        # wrk on CPU 0 only
#
# Environment: MODES ("max paced"); DURATION (10s) and WARMUP (3s) per
# run; LOADS ("1 4 16 64") wrk connections in max mode; RATES ("1000 2000
# 4000") offered req/s and PACED_CONNS (16) connections in paced mode (the
# connections bound the requests in flight, so they must exceed rate times
# latency); THREADS (2) wrk threads; ROWS (50) distinct requests;
# NGINX_WORKERS (auto); BASE_PORT (18500, uses 7 ports); BASELINES
# ("goproxy floor gateway-bare"; empty skips them, max mode only); PROFILE (1; 0
# skips it) and PROFILE_CONNS (16); PIN (1 runs wrk under 'taskset -c 0',
# everything else unpinned: the load generator then takes at most one core
# and cannot crowd out the proxies, which still share both cores among
# themselves and with wrk); MODELWARD_BIN (a built binary to use instead
# of building one); KEEP (1 keeps the temporary directory).
#
# Installs nginx, wrk and curl with apt-get when missing. Everything it
# writes goes to one mktemp directory, removed on exit with every process
# it started. Everything shares the machine's cores: wrk, nginx, the
# upstream and the gateway compete for them, which the header records.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
HERE=$REPO/bench/gateway

MODES=${MODES:-max paced}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
LOADS=${LOADS:-1 4 16 64}
RATES=${RATES:-1000 2000 4000}
PACED_CONNS=${PACED_CONNS:-16}
THREADS=${THREADS:-2}
ROWS=${ROWS:-50}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
BASE_PORT=${BASE_PORT:-18500}
PROFILE=${PROFILE:-1}
PROFILE_CONNS=${PROFILE_CONNS:-16}
KEEP=${KEEP:-0}
PIN=${PIN:-0}
BASELINES=${BASELINES-goproxy floor gateway-bare}

UP_PORT=$BASE_PORT
NGINX_PORT=$((BASE_PORT + 1))
GW_PORT=$((BASE_PORT + 2))
PPROF_PORT=$((BASE_PORT + 3))
GOPROXY_PORT=$((BASE_PORT + 4))
FLOOR_PORT=$((BASE_PORT + 5))
BARE_PORT=$((BASE_PORT + 6))
PPROF_ADDR="" # set by start_gateway when the gateway has --pprof
TARGETS="upstream nginx gateway"
TOKEN="" # the benchmark client's API key, made by start_gateway

log() { echo "gateway.sh [${SECONDS}s]: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# as_root runs a command as root, through sudo when not root already.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# need_tools installs what is missing; apt-get update only when it must.
need_tools() {
	local missing=() t
	for t in nginx wrk curl; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] && return
	log "installing ${missing[*]}"
	as_root apt-get update -qq >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

WORK=$(mktemp -d -t modelward-gwbench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: run CMD in the background, logging to WORK/NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	eval "${name}_PID=$!"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_up NAME URL: until URL answers 200 (10 s at most). The gateway
# authenticates even its health routes, hence the key.
wait_up() {
	local i
	for i in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$2")" = 200 ] && return
		sleep 0.1
	done
	tail -n 20 "$WORK/$1.log" >&2 || true
	die "$1 did not come up at $2"
}

build() {
	if [ -n "${MODELWARD_BIN:-}" ]; then
		MW=$MODELWARD_BIN
		return
	fi
	log "building modelward"
	CGO_ENABLED=0 go build -o "$WORK/modelward" ./cmd/modelward
	MW=$WORK/modelward
}

# build_baselines builds the two reference proxies (bench/gateway/baseline).
build_baselines() {
	[ -n "$BASELINES" ] || return 0
	log "building the baseline proxies"
	CGO_ENABLED=0 go build -o "$WORK/baseline" ./bench/gateway/baseline
}

# make_bodies writes ROWS digits rows as OIP v2 request bodies, one a line.
make_bodies() {
	# Through a file: head closing a pipe would fail gzip under pipefail.
	gzip -dc "$REPO/gateway/digits/testdata/digits.csv.gz" >"$WORK/digits.csv"
	head -n "$ROWS" "$WORK/digits.csv" | awk -F, '
		NF != 65 { exit 1 }
		{
			printf "{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":["
			for (i = 1; i <= 64; i++) printf "%s%s", $i, (i < 64 ? "," : "")
			print "]}]}"
		}' >"$WORK/bodies.txt"
	[ -s "$WORK/bodies.txt" ] || die "no request bodies made"
}

# fill TEMPLATE OUT PORT DIR: replace the @NAME@ placeholders of a template.
fill() {
	sed -e "s|@DIR@|$4|g" -e "s|@PORT@|$3|g" -e "s|@UPSTREAM_PORT@|$UP_PORT|g" \
		-e "s|@WORKERS@|$NGINX_WORKERS|g" -e "s|@USER@|$(id -un)|g" -e "s|@GROUP@|$(id -gn)|g" \
		"$1" >"$2"
}

start_upstream() {
	start upstream "$MW" demo-model serve --listen "127.0.0.1:$UP_PORT"
	wait_up upstream "http://127.0.0.1:$UP_PORT/v2/health/ready"
}

start_nginx() {
	mkdir -p "$WORK/nginx"
	fill "$HERE/nginx.conf.tmpl" "$WORK/nginx/nginx.conf" "$NGINX_PORT" "$WORK/nginx"
	start nginx nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
	wait_up nginx "http://127.0.0.1:$NGINX_PORT/v2/health/ready"
}

# start_gateway makes a registry, the client's API key and the gateway.
start_gateway() {
	"$MW" serve --init-admin --data "$WORK/registry" >"$WORK/admin.token"
	TOKEN=$("$MW" token create --local --data "$WORK/registry" --name bench-client --role viewer 2>/dev/null)
	[ -n "$TOKEN" ] || die "no API key created"
	head -c 32 /dev/urandom | base64 >"$WORK/admin.key"
	fill "$HERE/gateway.yaml.tmpl" "$WORK/gateway.yaml" "$GW_PORT" "$WORK"
	local flags=(--config "$WORK/gateway.yaml") help
	# A captured string, not a pipe into grep -q: grep exiting early would
	# fail the pipe under pipefail.
	help=$("$MW" gateway --help 2>&1 || true)
	if [[ $help == *--pprof* ]]; then
		PPROF_ADDR=127.0.0.1:$PPROF_PORT
		flags+=(--pprof "$PPROF_ADDR")
	fi
	start gateway env -u GOMAXPROCS "$MW" gateway "${flags[@]}"
	wait_up gateway "http://127.0.0.1:$GW_PORT/v2/health/ready"
}

# start_baselines starts the BASELINES; gateway-bare shares the gateway's
# registry and key, so start_gateway goes first.
start_baselines() {
	local b
	for b in $BASELINES; do
		case $b in
		goproxy) start goproxy "$WORK/baseline" -mode reverseproxy -listen "127.0.0.1:$GOPROXY_PORT" -upstream "127.0.0.1:$UP_PORT" ;;
		floor) start floor "$WORK/baseline" -mode floor -listen "127.0.0.1:$FLOOR_PORT" -upstream "127.0.0.1:$UP_PORT" ;;
		gateway-bare)
			fill "$HERE/gateway-bare.yaml.tmpl" "$WORK/gateway-bare.yaml" "$BARE_PORT" "$WORK"
			start bare env -u GOMAXPROCS "$MW" gateway --config "$WORK/gateway-bare.yaml"
			;;
		*) die "unknown baseline $b in BASELINES (goproxy floor gateway-bare)" ;;
		esac
	done
	for b in $BASELINES; do
		wait_up "$(name_of "$b")" "$(url_of "$b" | sed 's|/models/digits/infer$|/health/ready|')"
	done
}

# name_of TARGET: the name start gave its process (a shell variable).
name_of() {
	case $1 in
	gateway-bare) echo bare ;;
	*) echo "$1" ;;
	esac
}

url_of() {
	local port
	case $1 in
	upstream) port=$UP_PORT ;;
	nginx) port=$NGINX_PORT ;;
	gateway) port=$GW_PORT ;;
	goproxy) port=$GOPROXY_PORT ;;
	floor) port=$FLOOR_PORT ;;
	gateway-bare) port=$BARE_PORT ;;
	esac
	echo "http://127.0.0.1:$port/v2/models/digits/infer"
}

# smoke checks one request per target, and that the gateway refuses a
# request without a key: the benchmark must measure a gateway that checks.
smoke() {
	local t code body
	body=$(head -n 1 "$WORK/bodies.txt")
	for t in $TARGETS $BASELINES; do
		code=$(curl -s -o "$WORK/smoke-$t.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' -d "$body" "$(url_of "$t")")
		[ "$code" = 200 ] || die "$t answered $code: $(head -c 300 "$WORK/smoke-$t.json")"
	done
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$(url_of gateway)")
	[ "$code" = 401 ] || die "the gateway answered $code, not 401, to a request without a key"
}

# wrk_run TARGET CONNS DURATION OUT [RATE]: one wrk run, paced to RATE
# req/s in all when given; wrk needs threads <= conns.
wrk_run() {
	local threads=$THREADS pace=() pin=()
	[ "$2" -lt "$threads" ] && threads=$2
	if [ -n "${5:-}" ]; then
		pace=("BENCH_INTERVAL_US=$(awk -v t="$threads" -v r="$5" 'BEGIN { printf "%.3f", t * 1e6 / r }')"
			"BENCH_DELAY_MS=$(awk -v c="$2" -v r="$5" 'BEGIN { printf "%.3f", c * 1000 / r }')")
	fi
	[ "$PIN" = 1 ] && pin=(taskset -c 0)
	env "${pace[@]}" BENCH_BODIES="$WORK/bodies.txt" BENCH_TOKEN="$TOKEN" \
		"${pin[@]}" wrk -t"$threads" -c"$2" -d"$3" --latency -s "$HERE/infer.lua" "$(url_of "$1")" >"$4" 2>&1
}

# pids_of TARGET: the processes whose CPU time is the proxy's: the
# upstream's own for the direct runs, nginx's master and workers, the gateway.
pids_of() {
	case $1 in
	upstream) echo "$upstream_PID" ;;
	gateway) echo "$gateway_PID" ;;
	goproxy) echo "$goproxy_PID" ;;
	floor) echo "$floor_PID" ;;
	gateway-bare) echo "$bare_PID" ;;
	nginx) echo "$nginx_PID" $(cat "/proc/$nginx_PID/task/$nginx_PID/children") ;;
	esac
}

# cpu_ticks PID...: user plus system CPU time, in clock ticks (proc(5)).
# The command name in field 2 has no spaces here, so fields split simply.
cpu_ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}

# measure TARGET CONNS [RATE]: warm up, measure, and keep the BENCH line's
# fields and the CPU time the proxy spent per request: a cost that other
# work on the machine disturbs far less than it disturbs latency. Results
# are keyed TARGET,CONNS in max mode and TARGET,rRATE in paced mode.
measure() {
	local key="$1,$2" what="$2 connections" line pids t0 t1
	[ -n "${3:-}" ] && key="$1,r$3" what="$3 req/s offered over $2 connections"
	local out=$WORK/wrk-${key/,/-}.txt
	log "$1, $what: warm-up $WARMUP, then $DURATION"
	wrk_run "$1" "$2" "$WARMUP" "$WORK/warmup.txt" "${3:-}" || die "wrk failed: $(cat "$WORK/warmup.txt")"
	pids=$(pids_of "$1")
	# shellcheck disable=SC2086 # a list of pids
	t0=$(cpu_ticks $pids)
	wrk_run "$1" "$2" "$DURATION" "$out" "${3:-}" || die "wrk failed: $(cat "$out")"
	# shellcheck disable=SC2086
	t1=$(cpu_ticks $pids)
	line=$(grep '^BENCH ' "$out") || die "no result from wrk: $(cat "$out")"
	RESULT["$key"]="${line#BENCH } cpu=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
		-v n="$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$line")" 'BEGIN { printf "%.1f", n ? d / hz * 1e6 / n : 0 }')"
	grep '^BENCH_FIRST_BAD' "$out" >&2 || true
}

# field KEY NAME: one name=value field of a result.
field() { tr ' ' '\n' <<<"${RESULT[$1]}" | sed -n "s/^$2=//p"; }

valid() {
	[ "$(field "$1" non200)" = 0 ] && [ "$(field "$1" status)" = 0 ] &&
		[ "$(field "$1" sockerr)" = 0 ] && [ "$(field "$1" requests)" -gt 0 ]
}

ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }

header() {
	echo "# modelward gateway vs nginx proxy_pass ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "- machine: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -sr);" \
		"wrk, nginx, the upstream and the gateway all share these cores"
	echo "- $($MW version 2>/dev/null | head -n 1 || echo modelward), $(nginx -v 2>&1), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
	echo "- load average before the run: $LOAD_BEFORE, after the measurements: $LOAD_AFTER" \
		"(other work on the machine skews every number)"
	echo "- nginx worker_processes $NGINX_WORKERS; gateway GOMAXPROCS unset (all cores); upstream keepalive on both"
	echo "- gateway: registry API key auth, rate limit + daily quota (high, still checked), input range"
	echo "  validation, PRADA + Blacklight + signals (policy log), top-3 + round-2 hardening"
	echo "- wrk: $THREADS threads (fewer if fewer connections), warm-up $WARMUP, then $DURATION;" \
		"$ROWS distinct digits rows rotating, the same to every target; $(pinning)"
	echo
}

pinning() {
	if [ "$PIN" = 1 ]; then
		echo "wrk pinned to CPU 0 (taskset -c 0), everything else unpinned"
	else
		echo "nothing pinned"
	fi
}

# table_runs: one row per run. CPU µs/req is the target process's own CPU
# time per request: the upstream's when called directly, nginx's (master
# and workers) or the gateway's, not counting the upstream behind them.
table_runs() {
	local c t k
	echo "| connections | target | req/s | p50 ms | p90 ms | p99 ms | CPU µs/req | valid |"
	echo "|---:|---|---:|---:|---:|---:|---:|---|"
	for c in $LOADS; do
		for t in $TARGETS $BASELINES; do
			k="$t,$c"
			printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$t" "$(field "$k" rps)" \
				"$(ms "$(field "$k" p50)")" "$(ms "$(field "$k" p90)")" "$(ms "$(field "$k" p99)")" \
				"$(field "$k" cpu)" "$(validity "$k")"
		done
	done
	echo
}

validity() {
	if valid "$1"; then
		echo yes
	else
		echo "INVALID ($(field "$1" non200) not 200, $(field "$1" sockerr) socket errors)"
	fi
}

# table_overhead compares the gateway with nginx at each load. Both are
# driven by the same closed loop (a fixed number of connections), so the
# gateway is compared at the concurrency, not the request rate, of nginx.
table_overhead() {
	local c n g verdict
	echo "| connections | nginx p99 ms | gateway p99 ms | added p99 ms | gateway/nginx req/s | target met |"
	echo "|---:|---:|---:|---:|---:|---|"
	for c in $LOADS; do
		n="nginx,$c" g="gateway,$c"
		verdict=$(awk -v np="$(field "$n" p99)" -v gp="$(field "$g" p99)" \
			-v nr="$(field "$n" rps)" -v gr="$(field "$g" rps)" 'BEGIN {
			add = (gp - np) / 1000; ratio = gr / nr
			met = (np >= 5000) ? "n/a (nginx p99 >= 5 ms)" : ((add <= 1 && ratio >= 0.8) ? "yes" : "no")
			printf "%.3f|%.2f|%s", add, ratio, met }')
		valid "$n" && valid "$g" || verdict="${verdict%|*}|INVALID run"
		IFS='|' read -r add ratio met <<<"$verdict"
		printf '| %s | %s | %s | %s | %s | %s |\n' "$c" "$(ms "$(field "$n" p99)")" \
			"$(ms "$(field "$g" p99)")" "$add" "$ratio" "$met"
	done
	echo
	best_throughput
}

# table_baselines sets the gateway beside the baselines at each load: req/s
# as a share of nginx's and CPU per request. The budget column is the CPU
# per request at which the gateway would reach 80% of nginx's throughput:
# with the machine saturated, nginx's run costs the machine NCPU/rps per
# request, of which nginx's own CPU is a part and the rest (wrk, the
# upstream, the kernel's loopback work) stays the same whatever the proxy,
# so the gateway may spend nginx's own CPU plus a quarter of that total.
# That is an upper bound, and only meaningful where nginx's run saturates
# the machine (at few connections it does not, and the budget is inflated);
# the floor, at a few µs more than nginx, also falls further short of nginx
# than its CPU alone predicts. nproc counts the cores, not a cgroup quota.
table_baselines() {
	local c t k n
	echo "### Where the CPU per request goes: the gateway beside Go baselines"
	echo
	echo "goproxy: net/http + httputil.ReverseProxy; floor: a hand-written HTTP/1.1 loop through gateway/h1 that"
	echo "checks nothing (the least a Go proxy costs here); gateway-bare: the gateway without detection and hardening."
	echo
	printf '| connections |'
	for t in nginx $BASELINES gateway; do printf ' %s req/s (share) | %s CPU µs |' "$t" "$t"; done
	echo ' gateway CPU µs budget for 0.80 |'
	printf '|---:|'
	for t in nginx $BASELINES gateway; do printf -- '---:|---:|'; done
	echo '---:|'
	for c in $LOADS; do
		n="nginx,$c"
		printf '| %s |' "$c"
		for t in nginx $BASELINES gateway; do
			k="$t,$c"
			if valid "$k" && valid "$n"; then
				printf ' %s (%s) | %s |' "$(field "$k" rps)" \
					"$(awk -v a="$(field "$k" rps)" -v b="$(field "$n" rps)" 'BEGIN { printf "%.2f", a / b }')" "$(field "$k" cpu)"
			else
				printf ' invalid | - |'
			fi
		done
		awk -v r="$(field "$n" rps)" -v cpu="$(field "$n" cpu)" -v ncpu="$(nproc)" \
			'BEGIN { printf " %.1f |\n", (r > 0) ? cpu + 0.25 * ncpu * 1e6 / r : 0 }'
	done
	echo
}

# best TARGET: the highest req/s of TARGET's valid max-mode runs and its
# connections, as "RPS CONNS" ("0 -" when none is valid).
best() {
	local c k top=0 at=-
	for c in $LOADS; do
		k="$1,$c"
		valid "$k" || continue
		if awk -v a="$(field "$k" rps)" -v b="$top" 'BEGIN { exit !(a > b) }'; then
			top=$(field "$k" rps) at=$c
		fi
	done
	echo "$top $at"
}

# best_throughput compares each one's best, wherever it was reached: the
# throughput target is about capacity, not about one concurrency.
best_throughput() {
	local n g
	read -r -a n <<<"$(best nginx)"
	read -r -a g <<<"$(best gateway)"
	awk -v nr="${n[0]}" -v nc="${n[1]}" -v gr="${g[0]}" -v gc="${g[1]}" 'BEGIN {
		ratio = nr > 0 ? gr / nr : 0
		printf "**Best throughput:** nginx %.1f req/s (%s connections), gateway %.1f req/s (%s connections):", nr, nc, gr, gc
		printf " ratio %.2f, target (at least 0.80) %s\n\n", ratio, (nr > 0 && gr > 0) ? (ratio >= 0.8 ? "met" : "not met") : "not measured (no valid run)"
	}'
}

source "$HERE/paced.sh"
source "$HERE/profile.sh"

has_mode() { [[ " $MODES " == *" $1 "* ]]; }

main() {
	LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	for m in $MODES; do
		case $m in
		max | paced) ;;
		*) die "unknown mode $m in MODES (max, paced)" ;;
		esac
	done
	need_tools
	for p in "$UP_PORT" "$NGINX_PORT" "$GW_PORT" "$PPROF_PORT" "$GOPROXY_PORT" "$FLOOR_PORT" "$BARE_PORT"; do
		port_free "$p" || die "port $p is in use; set BASE_PORT"
	done
	build
	has_mode max || BASELINES=""
	build_baselines
	make_bodies
	start_upstream
	start_nginx
	start_gateway
	start_baselines
	smoke
	declare -gA RESULT=()
	if has_mode max; then
		for c in $LOADS; do
			for t in $TARGETS $BASELINES; do measure "$t" "$c"; done
		done
	fi
	has_mode paced && run_paced
	LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
	header
	if has_mode max; then
		echo "## Max throughput (closed loop: each connection sends when answered)"
		echo
		table_runs
		table_overhead
		[ -n "$BASELINES" ] && table_baselines
	fi
	has_mode paced && table_paced
	[ "$PROFILE" = 1 ] && profile_gateway
	return 0
}

main "$@"
