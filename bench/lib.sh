# Shared by bench/run and bench/scenarios.sh: starting and measuring the
# agent and the receiver, the agent's configuration, and the results table.
# Sourced, not run. Expects BIN, EX (the examples' directory) and WORK.

calc() { awk "BEGIN { print ($*) }"; }
now() { date +%s.%N; }
warn() { echo "bench: $*" >&2; }

# User+system CPU seconds a live process has used so far.
proc_cpu() {
  local hz
  hz=$(getconf CLK_TCK)
  awk -v hz="$hz" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# Peak resident set size of a live process, MiB.
proc_rss_mib() { awk '/VmHWM/ { print $2 / 1024 }' "/proc/$1/status"; }
# Resident now (not the peak): what an idle agent holds.
proc_rss_now_mib() { awk '/VmRSS/ { print $2 / 1024 }' "/proc/$1/status"; }

# Stops a process we started (by its id) and waits for it.
stop() {
  [[ -n "${1:-}" ]] || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Starts the counting receiver; sets RPID and RADDR. "--latency" to
# record write-to-arrival times.
start_receiver() {
  rm -f "$WORK/receiver.out" # not to read the previous receiver's address
  "$EX/count-receiver" 127.0.0.1:0 "$@" > "$WORK/receiver.out" &
  RPID=$!
  until grep -q listening "$WORK/receiver.out" 2>/dev/null; do sleep 0.05; done
  RADDR=$(awk '{ print $3 }' "$WORK/receiver.out")
}
received() { curl -sf "http://$RADDR/count" || echo 0; }

# Writes $RUN/auditship.toml: one file source over $RUN/logs/*.log in
# FORMAT, and SINK = file | http | fanout (four http sinks). Extra TOML
# for every sink (e.g. a batch table) may follow as the third argument.
write_config() {
  local format=$1 sink=$2 sink_extra=${3:-} i
  cat > "$RUN/auditship.toml" <<TOML
data_dir = "$RUN/data"
host = "bench"
[journal]
fsync = "batch"
[sources.app]
type = "file"
include = ["$RUN/logs/*.log"]
format = "$format"
TOML
  case $sink in
    file)
      printf '[sinks.out]\ntype = "file"\npath = "%s"\n%s\n' \
        "$RUN/out/events.ndjson" "$sink_extra" >> "$RUN/auditship.toml" ;;
    http | fanout)
      for i in $(seq 1 "$([[ $sink == fanout ]] && echo 4 || echo 1)"); do
        printf '[sinks.out%s]\ntype = "http"\nuri = "http://%s/ingest"\nencoding = "ndjson"\ncompression = "gzip"\n%s\n' \
          "$i" "$RADDR" "$sink_extra" >> "$RUN/auditship.toml"
      done ;;
    *) warn "unknown sink $sink"; return 1 ;;
  esac
}

# Starts the agent on $RUN/auditship.toml; sets PID and START.
start_agent() {
  START=$(now)
  "$BIN" run -c "$RUN/auditship.toml" 2> "$RUN/agent.log" &
  PID=$!
}

# Number of journal records (events + signed checkpoints) in the file
# sink's output, from the last line's agent.seq (sequence numbers start
# at 1 and have no gaps).
file_delivered() {
  tail -c 8192 "$RUN/out/events.ndjson" 2>/dev/null | tail -n1 \
    | grep -o '"agent":{[^}]*}' | grep -o '"seq":[0-9]*' | cut -d: -f2 || true
}

# Waits until COUNTER (a command) reaches WANT; sets END to when it did.
# The agent adds a signed checkpoint at most every 10,000 events (fewer
# when batches straddle the mark), so WANT counts the most there can be;
# once the count is at or past FLOOR (the events alone) and has not moved
# for 3 s, the run counts as done at its last change.
wait_delivered() {
  local counter=$1 want=$2 floor=$3 seen last=-1 changed
  changed=$(now)
  while :; do
    seen=$($counter); seen=${seen:-0}
    if (( seen >= want )); then END=$(now); return 0; fi
    if (( seen != last )); then last=$seen; changed=$(now); fi
    if (( seen >= floor )) && [[ $(calc "$(now) - $changed > 3") == 1 ]]; then
      END=$changed; return 0
    fi
    if ! kill -0 "$PID" 2>/dev/null; then
      warn "agent exited early:"; tail -n 20 "$RUN/agent.log" >&2; return 1
    fi
    if [[ $(calc "$(now) - $changed > 120") == 1 ]]; then
      warn "no progress for 120 s at $seen of $want"; return 1
    fi
    sleep 0.05
  done
}

# Fresh per-run directory: logs/, out/, data/.
new_run() {
  RUN="$WORK/run"
  rm -rf "$RUN"
  mkdir -p "$RUN/logs" "$RUN/out"
}
end_run() { stop "${PID:-}"; stop "${RPID:-}"; PID= RPID=; rm -rf "${RUN:-/nonexistent}"; }

# record NAME EVENTS BYTES WALL CPU RSS_MIB P50 P99 RECEIVER_CPU
# One run's figures, one line in $WORK/results/NAME ("-" when not measured).
record() {
  local name=$1 events=$2 bytes=$3 wall=$4 cpu=$5 rss=$6 p50=${7:--} p99=${8:--} rcpu=${9:--}
  local file
  file="$WORK/results/$(result_key "$name")"
  grep -qxF "$name" "$WORK/results/order" 2>/dev/null || echo "$name" >> "$WORK/results/order"
  awk -v e="$events" -v b="$bytes" -v w="$wall" -v c="$cpu" -v r="$rss" \
      -v p50="$p50" -v p99="$p99" -v rc="$rcpu" 'BEGIN {
    per = e > 0 ? c / e * 100000 : "-"
    print e, w, e / w, b / 1048576 / w, c, per, c / w * 100, r, p50, p99, rc
  }' >> "$file"
  printf '  %-28s %s\n' "$name" "$(tail -n1 "$file")" >&2
}

result_key() { echo "$1" | tr -c 'A-Za-z0-9\n' _; }

# The markdown row of NAME: the median of each column over its runs.
table_row() {
  local name=$1 cols=11 c values file
  file="$WORK/results/$(result_key "$name")"
  local row="| $name"
  [[ -s $file ]] || { echo "| $name | failed |"; return; }
  for c in $(seq 1 $cols); do
    values=$(awk -v c="$c" '{ print $c }' "$file" | grep -v '^-$' | sort -g || true)
    row+=" | $(median_of "$c" "$values")"
  done
  echo "$row |"
}

# Median of newline-separated numbers, formatted for column C.
median_of() {
  local c=$1 values=$2
  [[ -n $values ]] || { echo "–"; return; }
  echo "$values" | awk -v c="$c" '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    fmt = (c == 1 || c == 3) ? "%.0f" : c == 8 ? "%.1f" : "%.2f"
    printf fmt "\n", m
  }'
}

TABLE_HEAD='| scenario | events | wall s | events/s | MiB/s in | CPU s (user+sys) | CPU s / 100k events | % of one core | peak RSS MiB | p50 ms | p99 ms | receiver CPU s |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'

machine_description() {
  local cpu ram
  cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
  ram=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  echo "Machine: $(nproc) CPUs ($cpu), $ram RAM, Linux $(uname -r)."
}
