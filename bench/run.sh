#!/usr/bin/env bash
# bench/run.sh: measures agentops end to end and prints a Markdown table.
#
#   bash bench/run.sh              # full run (a few minutes on 2 cores)
#   BENCH_QUICK=1 bash bench/run.sh  # fewer runs and spans, for a quick look
#   BENCH_ONLY=collector bash bench/run.sh  # only the side-by-side table (0.)
#   BENCH_ONLY=overhead bash bench/run.sh   # only the wrapper overhead (1.)
#   BENCH_BASE=main~3 bash bench/run.sh     # 1. also measures that commit's
#                                           # binary, in the same hyperfine run
#
# 0. side by side       agentops and a real OpenTelemetry Collector
#                       (bench/collector) receiving the same load at the same
#                       moment, run after run: the all-LLM load and the
#                       realistic mix, no store vs otlp→nop and store on vs
#                       otlp→file; spans/s, CPU per span, peak RSS, ratios
# 1. wrapper overhead   `agentops run -- true` vs `true` (hyperfine, /usr/bin/time)
# 2. ingest throughput  spans/s through the embedded receiver and the whole
#                       session path, 512-span batches from 4 concurrent clients
# 3. memory             peak RSS of a session receiving 100k, 1M (and 10M) spans
# 4. exit-to-summary    child's exit → first byte of the summary on stderr
#
# Raw outputs stay in $BENCH_OUT (default: a fresh temp dir). Installs
# hyperfine, time and jq with apt-get when they are missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

QUICK=${BENCH_QUICK:-0}
OUT=${BENCH_OUT:-$(mktemp -d -t agentops-bench.XXXXXX)}
BIN="$OUT/bin"
mkdir -p "$BIN"

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $2 ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "bench: $1 is missing: install the Debian package $2" >&2; exit 1; }
}
ONLY=${BENCH_ONLY:-}
need hyperfine hyperfine
need jq jq
[ -x /usr/bin/time ] || need /usr/bin/time time
TIME=/usr/bin/time

echo "building into $BIN ..." >&2
# build OUT ARGS...: go build, then a copy. The linker writes its output
# through a memory map, which leaves the file in the page cache in small
# pages; a copy of it (as a binary read back from disk) is in large ones,
# and starts 1 to 2 ms sooner here, from fewer page faults. Every binary
# compared is a copy, so that this does not decide the comparison.
build() {
  local out=$1; shift
  go build -o "$out.link" "$@" && cp "$out.link" "$out" && rm "$out.link"
}
build "$BIN/agentops" .
# The same without cgo: a static binary, no dynamic loader or libc to map
# and relocate at every start (the wrapper overhead row measures both).
CGO_ENABLED=0 build "$BIN/agentops-static" .
go build -o "$BIN/loadgen" ./bench/loadgen
go build -o "$BIN/exitlat" ./bench/exitlat
A="$BIN/agentops"
L="$BIN/loadgen"
BASE=${BENCH_BASE:-}
if [ -n "$BASE" ]; then
  # The commit to compare with, built from a throwaway worktree.
  base_src="$OUT/base-src"
  git worktree add -q --detach "$base_src" "$BASE"
  (cd "$base_src" && build "$BIN/agentops-base" .)
  git worktree remove --force "$base_src"
  BASE_REV=$(git rev-parse --short "$BASE")
fi
[ "$ONLY" = overhead ] || C=$(bash bench/collector/build.sh)

# The local store must not write into the user's history (and is emptied
# after every measurement: a 1M-span session stores some 700 MB).
export AGENTOPS_STORE="$OUT/store"
export NO_COLOR=1

if [ "$QUICK" = 1 ]; then
  HF_RUNS=50 HF_ROUNDS=5 RSS_RUNS=5 TP_RUNS=1 TP_SPANS=300000 MEM_SPANS="100000 1000000" LAT_RUNS=10 CMP_RUNS=3 CMP_SPANS=300000
else
  HF_RUNS=300 HF_ROUNDS=10 RSS_RUNS=21 TP_RUNS=3 TP_SPANS=1000000 MEM_SPANS="100000 1000000 10000000" LAT_RUNS=30 CMP_RUNS=5 CMP_SPANS=1000000
fi

kv() { # kv KEY LINE: the value of KEY=value in LINE
  sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "n/a"; else print v[int((NR+1)/2)]}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }

rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

# 0. Side by side with the Collector --------------------------------------------
# Each run sends the same load (CMP_SPANS spans in 512-span OTLP/HTTP protobuf
# requests from 4 clients) to agentops and then to the Collector, so both meet
# the same machine; the table shows medians over CMP_RUNS runs and their
# ratios. CPU per span is the receiving process's user+system time during the
# load (/proc), which depends less on what else the machine runs than spans/s.
# Peak RSS is agentops' whole life (/usr/bin/time) and the Collector's VmHWM
# when the load ends.
cmp_rows=()
free_port() { # a TCP port nobody listens on
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
collector_once() { # collector_once CONFIG MIX: one loadgen line against a fresh Collector
  local cfg=$1 mix=$2 http grpc pid line
  http=$(free_port) grpc=$(free_port)
  OTELCOL_HTTP=127.0.0.1:$http OTELCOL_GRPC=127.0.0.1:$grpc OTELCOL_FILE="$OUT/otelcol-spans.jsonl" \
    "$C" --config "bench/collector/$cfg.yaml" >"$OUT/otelcol-$cfg.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http") 2>/dev/null && break; sleep 0.05; done
  line=$(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$http "$L" -spans "$CMP_SPANS" -clients 4 -batch 512 -mix "$mix" -pid "$pid") || line=""
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  rm -f "$OUT/otelcol-spans.jsonl"
  echo "$line"
}
agentops_once() { # agentops_once MIX FLAGS...: one loadgen line with time_maxrss_kib
  local mix=$1 line rss; shift
  line=$($TIME -f 'time_maxrss_kib=%M' -o "$OUT/cmp-time.txt" "$A" run "$@" -- "$L" -spans "$CMP_SPANS" -clients 4 -batch 512 -mix "$mix" 2>"$OUT/cmp-agentops.err") || line=""
  rss=$(sed -n 's/.*time_maxrss_kib=\([0-9]*\).*/\1/p' "$OUT/cmp-time.txt")
  rm -rf "$AGENTOPS_STORE"
  echo "$line time_maxrss_kib=$rss"
}
compare() { # compare MIX "AGENTOPS FLAGS" COLLECTOR-CONFIG LABEL
  local mix=$1 flags=$2 cfg=$3 label=$4 i a c
  : >"$OUT/cmp-$mix-$cfg.txt"
  for i in $(seq "$CMP_RUNS"); do
    echo "0/4 side by side, $label, run $i/$CMP_RUNS ..." >&2
    # shellcheck disable=SC2086 # flags are words
    a=$(agentops_once "$mix" $flags)
    c=$(collector_once "$cfg" "$mix")
    echo "agentops $a" >>"$OUT/cmp-$mix-$cfg.txt"
    echo "collector $c" >>"$OUT/cmp-$mix-$cfg.txt"
  done
  med() { grep "^$1 " "$OUT/cmp-$mix-$cfg.txt" | sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" | median; }
  local a_sps a_cpu a_rss c_sps c_cpu c_rss
  a_sps=$(med agentops spans_per_s) a_cpu=$(med agentops parent_cpu_us_per_span) a_rss=$(med agentops time_maxrss_kib)
  c_sps=$(med collector spans_per_s) c_cpu=$(med collector parent_cpu_us_per_span) c_rss=$(med collector parent_hwm_kib)
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b+0 == 0) print "n/a"; else printf "%.2f", a/b}'; }
  cmp_rows+=("| $label | $(awk -v r="$a_sps" 'BEGIN {printf "%.0fk", r/1000}') · $a_cpu µs · $(mib "$a_rss") MiB | $(awk -v r="$c_sps" 'BEGIN {printf "%.0fk", r/1000}') · $c_cpu µs · $(mib "$c_rss") MiB | **$(ratio "$a_sps" "$c_sps") · $(ratio "$a_cpu" "$c_cpu") · $(ratio "$a_rss" "$c_rss")** |")
}
if [ "$ONLY" != overhead ]; then
compare llm "--no-store" nop "all-LLM, no store vs otlp→nop"
compare llm "" file "all-LLM, store on vs otlp→file (JSON)"
compare realistic "--no-store" nop "realistic mix, no store vs otlp→nop"
compare realistic "" file "realistic mix, store on vs otlp→file (JSON)"
fi

if [ "$ONLY" != collector ]; then
# 1. Wrapper overhead ---------------------------------------------------------
# Every command in one hyperfine run, and that run repeated in HF_ROUNDS
# rounds of HF_RUNS/HF_ROUNDS runs, so that the commands meet the same
# machine as its load drifts (hyperfine runs one command's runs in a row):
# `true`, agentops without and with the store (each with a store of its own,
# emptied after), the binary's start-up alone (--help), the same of the
# static build, and with BENCH_BASE of that commit's binary. The added
# median over every round's runs is the target's figure; user+system CPU
# per run depends less on the machine's load than wall time does.
echo "1/4 wrapper overhead ($HF_RUNS runs each, in $HF_ROUNDS rounds) ..." >&2
hf=('true')
labels=()
for b in "$A" "$BIN/agentops-static" ${BASE:+"$BIN/agentops-base"}; do
  case $b in
  "$A") name="agentops" ;;
  */agentops-static) name="agentops built with CGO_ENABLED=0" ;;
  *) name="agentops $BASE_REV" ;;
  esac
  hf+=("$b run --no-store -- true" "$b run --store $OUT/store-$(basename "$b") -- true" "$b --help")
  labels+=("$name without store" "$name with the local store" "$name --help (start-up alone)")
done
for r in $(seq "$HF_ROUNDS"); do
  hyperfine -N --style none --warmup 5 --runs $((HF_RUNS / HF_ROUNDS)) --export-json "$OUT/overhead-$r.json" "${hf[@]}" >>"$OUT/overhead.txt" 2>&1
done
rm -rf "$OUT"/store-agentops*
# ms I: median and standard deviation of command I's times over the rounds, and its CPU a run.
ms() {
  jq -s -r --argjson i "$1" '[.[].results[$i]] as $r | ($r | map(.times) | add | sort) as $t |
    ($t | length) as $n | ($t | add / $n) as $mean |
    "\($t[($n - 1) / 2 | floor] * 1000) \((($t | map(. - $mean | . * .) | add) / $n | sqrt) * 1000) \(($r | map(.user + .system) | add / length) * 1000)"' \
    "$OUT"/overhead-*.json
}
read -r base_med base_sd _ < <(ms 0)
for i in $(seq 1 ${#labels[@]}); do
  read -r wrap_med wrap_sd wrap_cpu < <(ms "$i")
  label=${labels[$((i - 1))]}
  added=$(awk -v a="$wrap_med" -v b="$base_med" 'BEGIN {printf "%.2f", a-b}')
  target="–"; [[ $label == "agentops with the local store" ]] && target="≤ 5 ms"
  row "wrapper overhead, $label: added median wall time vs \`true\`" \
    "**$added ms** (median $(printf %.2f "$wrap_med") ± $(printf %.2f "$wrap_sd") ms vs $(printf %.2f "$base_med") ± $(printf %.2f "$base_sd") ms; CPU $(printf %.2f "$wrap_cpu") ms a run)" "$target"
done

rss_of() { for _ in $(seq "$RSS_RUNS"); do $TIME -f '%M' "$@" 2>&1 >/dev/null | tail -1; done | median; }
rss_wrap=$(rss_of "$A" run --no-store -- true)
rss_true=$(rss_of true)
row "wrapper peak RSS, \`agentops run --no-store -- true\` (\`true\` alone)" "$(mib "$rss_wrap") MiB ($(mib "$rss_true") MiB)" "–"

if [ "$ONLY" != overhead ]; then
# 2. Ingest throughput ----------------------------------------------------------
throughput() { # throughput NAME AGENTOPS-FLAGS...: median spans/s over TP_RUNS runs
  local name=$1 line rates=(); shift
  for i in $(seq "$TP_RUNS"); do
    if ! line=$("$A" run "$@" -- "$L" -spans "$TP_SPANS" -clients 4 -batch 512 2>"$OUT/tp-$name-$i.err"); then
      echo "n/a"; return
    fi
    echo "$name $line" >>"$OUT/throughput.txt"
    rates+=("$(kv spans_per_s "$line")")
    rm -rf "$AGENTOPS_STORE"
  done
  printf '%s\n' "${rates[@]}" | median
}
for variant in "http-protobuf --no-store --protocol http/protobuf" "http-protobuf-store --protocol http/protobuf" \
  "grpc --no-store --protocol grpc" "http-json --no-store --protocol http/json"; do
  read -r name flags <<<"$variant"
  echo "2/4 ingest throughput, $name ($TP_RUNS × $TP_SPANS spans) ..." >&2
  # shellcheck disable=SC2086 # flags are words
  r=$(throughput "$name" $flags)
  proto=$(sed 's/.*--protocol \([^ ]*\).*/\1/' <<<"$flags")
  store="no store"; [[ $flags != *--no-store* ]] && store="local store on"
  target="–"; [ "$proto" = http/protobuf ] && target="≥ 300k spans/s"
  if [ "$r" = n/a ]; then
    row "ingest throughput, OTLP $proto, $store, 512-span batches, 4 clients" "n/a (see $OUT/tp-$name-1.err)" "$target"
  else
    row "ingest throughput, OTLP $proto, $store, 512-span batches, 4 clients" "**$(awk -v r="$r" 'BEGIN {printf "%.0fk", r/1000}') spans/s**" "$target"
  fi
done

# 3. Memory ---------------------------------------------------------------------
memory() { # memory SPANS AGENTOPS-FLAGS...
  local n=$1 line peak store="no store"; shift
  [[ " $* " != *" --no-store "* ]] && store="local store on"
  echo "3/4 memory: session receiving $n spans, $store ..." >&2
  line=$($TIME -f 'time_maxrss_kib=%M' "$A" run "$@" -- "$L" -spans "$n" -clients 4 2>"$OUT/mem-$n.err")
  echo "$n $* $line" >>"$OUT/memory.txt"
  rm -rf "$AGENTOPS_STORE"
  peak=$(sed -n 's/.*time_maxrss_kib=\([0-9]*\).*/\1/p' "$OUT/mem-$n.err")
  row "peak RSS of agentops, session receiving $(awk -v n="$n" 'BEGIN {if (n>=1e6) printf "%gM", n/1e6; else printf "%gk", n/1e3}') spans, $store" \
    "**$(mib "$peak") MiB** ($(mib "$(kv parent_hwm_kib "$line")") MiB when the last batch was acknowledged)" "≤ 100 MiB, flat"
}
for n in $MEM_SPANS; do memory "$n" --no-store; done
memory 1000000

# 4. Exit-to-summary ------------------------------------------------------------
echo "4/4 exit-to-summary ($LAT_RUNS runs each) ..." >&2
for variant in "http/protobuf 0" "http/protobuf 512" "http/protobuf 100000" "grpc 512"; do
  read -r proto n <<<"$variant"
  line=$("$BIN/exitlat" -runs "$LAT_RUNS" -- "$A" run --protocol "$proto" -- "$L" -spans "$n" -stamp)
  echo "protocol=$proto spans=$n $line" >>"$OUT/exitlat.txt"
  rm -rf "$AGENTOPS_STORE"
  row "exit-to-summary, local store on, child sent $n spans over $proto before exiting (median, p90)" \
    "**$(kv summary_median_ms "$line") ms**, p90 $(kv summary_p90_ms "$line") ms" "≤ 50 ms"
done

fi # BENCH_ONLY != overhead
fi # BENCH_ONLY != collector

# Report ------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(go version | cut -d' ' -f3), Linux $(uname -r)," \
  "agentops $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d)."
echo
if [ "$ONLY" != overhead ]; then
  echo "Side by side with an OpenTelemetry Collector $("$C" --version 2>/dev/null | awk '{print $NF}') (bench/collector), $CMP_SPANS spans a run,"
  echo "512-span OTLP/HTTP protobuf requests from 4 clients, medians of $CMP_RUNS runs made one after the other:"
  echo
  echo "| load | agentops: spans/s · CPU per span · peak RSS | Collector | ratio |"
  echo "|---|---|---|---|"
  printf '%s\n' "${cmp_rows[@]}"
fi
if [ "$ONLY" != collector ]; then
  echo
  echo "| measure | result | target |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
fi
echo
echo "raw outputs: $OUT" >&2
