#!/usr/bin/env bash
# bench/run.sh: measures agentops end to end and prints a Markdown table.
#
#   bash bench/run.sh              # full run (a few minutes on 2 cores)
#   BENCH_QUICK=1 bash bench/run.sh  # fewer runs and spans, for a quick look
#
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
need hyperfine hyperfine
need jq jq
[ -x /usr/bin/time ] || need /usr/bin/time time
TIME=/usr/bin/time

echo "building into $BIN ..." >&2
go build -o "$BIN/agentops" .
go build -o "$BIN/loadgen" ./bench/loadgen
go build -o "$BIN/exitlat" ./bench/exitlat
A="$BIN/agentops"
L="$BIN/loadgen"

# The local store must not write into the user's history (and is emptied
# after every measurement: a 1M-span session stores some 700 MB).
export AGENTOPS_STORE="$OUT/store"
export NO_COLOR=1

if [ "$QUICK" = 1 ]; then
  HF_RUNS=50 RSS_RUNS=5 TP_RUNS=1 TP_SPANS=300000 MEM_SPANS="100000 1000000" LAT_RUNS=10
else
  HF_RUNS=300 RSS_RUNS=21 TP_RUNS=3 TP_SPANS=1000000 MEM_SPANS="100000 1000000 10000000" LAT_RUNS=30
fi

kv() { # kv KEY LINE: the value of KEY=value in LINE
  sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "n/a"; else print v[int((NR+1)/2)]}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }

rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

# 1. Wrapper overhead ---------------------------------------------------------
echo "1/4 wrapper overhead ($HF_RUNS runs each) ..." >&2
hyperfine -N --style none --warmup 20 --runs "$HF_RUNS" --export-json "$OUT/overhead.json" \
  'true' "$A run --no-store -- true" "$A run -- true" >"$OUT/overhead.txt" 2>&1
ms() { jq -r ".results[$1] | \"\(.median*1000) \(.stddev*1000)\"" "$OUT/overhead.json"; }
read -r base_med base_sd < <(ms 0)
for i in 1 2; do
  read -r wrap_med wrap_sd < <(ms $i)
  what="without store"; [ $i = 2 ] && what="with the local store"
  added=$(awk -v a="$wrap_med" -v b="$base_med" 'BEGIN {printf "%.2f", a-b}')
  row "wrapper overhead $what: added median wall time vs \`true\`" \
    "**$added ms** (median $(printf %.2f "$wrap_med") ± $(printf %.2f "$wrap_sd") ms vs $(printf %.2f "$base_med") ± $(printf %.2f "$base_sd") ms)" "≤ 10 ms"
done

rss_of() { for _ in $(seq "$RSS_RUNS"); do $TIME -f '%M' "$@" 2>&1 >/dev/null | tail -1; done | median; }
rss_wrap=$(rss_of "$A" run --no-store -- true)
rss_true=$(rss_of true)
row "wrapper peak RSS, \`agentops run --no-store -- true\` (\`true\` alone)" "$(mib "$rss_wrap") MiB ($(mib "$rss_true") MiB)" "–"

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

# Report ------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(go version | cut -d' ' -f3), Linux $(uname -r)," \
  "agentops $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d)."
echo
echo "| measure | result | target |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "raw outputs: $OUT" >&2
