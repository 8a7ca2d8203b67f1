# The scenarios of bench/run (issue 11), one function each; every call is
# one run and records one line per table row (lib.sh's `record`). Sourced,
# not run. Inputs are in $DATA (app.json, app.auditd, app.k8s); sizes and
# durations come from bench/run's variables.

# INPUT (EVENTS events in FORMAT) through file → journal → SINK, timed from
# the agent's start until the last event has arrived.
throughput() {
  local name=$1 input=$2 format=$3 events=$4 sink=$5 copies=1 want rcpu=-
  new_run
  ln "$input" "$RUN/logs/input.log"
  want=$(( events + events / 10000 )) # + the signed checkpoints
  if [[ $sink == file ]]; then
    write_config "$format" file
    start_agent
    wait_delivered file_delivered "$want" "$events" || { end_run; return 1; }
  else
    [[ $sink == fanout ]] && copies=4
    start_receiver
    write_config "$format" "$sink"
    start_agent
    wait_delivered received $(( want * copies )) $(( events * copies )) \
      || { end_run; return 1; }
    rcpu=$(proc_cpu "$RPID")
  fi
  record "$name" "$events" "$(stat -c %s "$input")" "$(calc "$END - $START")" \
    "$(proc_cpu "$PID")" "$(proc_rss_mib "$PID")" - - "$rcpu"
  end_run
}

scenario_http() { throughput "1 json → http (gzip)" "$DATA/app.json" json "$LINES" http; }
scenario_file() { throughput "2 json → file" "$DATA/app.json" json "$LINES" file; }
scenario_fanout() { throughput "3 json → 4 × http" "$DATA/app.json" json "$LINES" fanout; }

# The receiver alone, to show it is not the bottleneck: 1,000 normalized
# events (what the agent sends, without agent.seq/chain), gzip -1, posted
# LINES / 1,000 times. MiB/s counts the uncompressed NDJSON.
scenario_receiver() {
  local requests=$(( (LINES + 999) / 1000 )) cpu0 wall
  new_run
  head -n 1000 "$DATA/app.json" | "$BIN" parse > "$RUN/body.ndjson"
  gzip -1 -c "$RUN/body.ndjson" > "$RUN/body.gz"
  start_receiver
  cpu0=$(proc_cpu "$RPID")
  wall=$("$EX/replay-post" "http://$RADDR/ingest" "$RUN/body.gz" "$requests") \
    || { end_run; return 1; }
  record "1 receiver alone" "$(received)" \
    "$(( $(stat -c %s "$RUN/body.ndjson") * requests ))" "$wall" \
    "$(calc "$(proc_cpu "$RPID") - $cpu0")" "$(proc_rss_mib "$RPID")"
  end_run
}

# FILES files, each appended one event a second for SLOW_SECONDS: the
# agent's CPU over that window (after WARMUP s of discovering the files).
scenario_many_files() {
  local appended=$(( FILES * SLOW_SECONDS )) cpu0 start
  new_run
  "$EX/append-slowly" "$RUN/logs" "$FILES" 1 0 > /dev/null # create them
  start_receiver
  write_config json http
  start_agent
  sleep "$WARMUP"
  cpu0=$(proc_cpu "$PID"); start=$(now)
  "$EX/append-slowly" "$RUN/logs" "$FILES" "$FILES" "$SLOW_SECONDS" > /dev/null \
    || { end_run; return 1; }
  record "4 $FILES files × 1 event/s" "$appended" "$(logs_bytes)" \
    "$(calc "$(now) - $start")" "$(calc "$(proc_cpu "$PID") - $cpu0")" \
    "$(proc_rss_mib "$PID")" - - "$(proc_cpu "$RPID")"
  wait_delivered received "$appended" "$appended" \
    || warn "many files: $(received) of $appended events delivered"
  end_run
}
logs_bytes() { find "$RUN/logs" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

# One file source (100 lines, delivered first), one sink, nothing
# appended: CPU over IDLE_SECONDS, and the RSS at its end (not the peak,
# which is the start's).
scenario_idle() {
  local cpu0 start
  new_run
  head -n 100 "$DATA/app.json" > "$RUN/logs/idle.log"
  write_config json file
  start_agent
  wait_delivered file_delivered 100 100 || { end_run; return 1; }
  sleep "$WARMUP"
  cpu0=$(proc_cpu "$PID"); start=$(now)
  sleep "$IDLE_SECONDS"
  record "4 idle (1 file, file sink; RSS at the end)" 0 0 "$(calc "$(now) - $start")" \
    "$(calc "$(proc_cpu "$PID") - $cpu0")" "$(proc_rss_now_mib "$PID")"
  end_run
}

# Events appended one at a time at LATENCY_RATE/s for LATENCY_SECONDS into
# an http sink with batch.timeout = 10ms; the receiver measures arrival −
# write time. CPU counts the appending window and the drain after it.
scenario_latency() {
  local total=$(( LATENCY_RATE * LATENCY_SECONDS )) cpu0 start count p50 p99 max
  new_run
  "$EX/append-slowly" "$RUN/logs" 1 1 0 > /dev/null
  start_receiver --latency
  write_config json http 'batch = { timeout = "10ms" }'
  start_agent
  sleep "$WARMUP"
  cpu0=$(proc_cpu "$PID"); start=$(now)
  "$EX/append-slowly" "$RUN/logs" 1 "$LATENCY_RATE" "$LATENCY_SECONDS" > /dev/null \
    || { end_run; return 1; }
  wait_delivered received "$total" "$total" || { end_run; return 1; }
  read -r count p50 p99 max < <(curl -sf "http://$RADDR/latency")
  (( count == total )) || warn "latency: $count of $total events timed"
  echo "  latency max ${max} ms" >&2
  record "5 latency, $LATENCY_RATE events/s" "$total" "$(logs_bytes)" \
    "$(calc "$END - $start")" "$(calc "$(proc_cpu "$PID") - $cpu0")" \
    "$(proc_rss_mib "$PID")" "$p50" "$p99" "$(proc_cpu "$RPID")"
  end_run
}

# FORMAT through `auditship parse` (one thread, no journal, output counted
# and dropped), then through the pipeline into http.
format_scenarios() {
  local format=$1 input="$DATA/app.$1" wall user sys kib parsed
  parsed=$(/usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" \
    "$BIN" parse --format "$format" "$input" | wc -l)
  read -r wall user sys kib < "$WORK/time.out"
  (( parsed == FORMAT_LINES )) || warn "$format parse: $parsed events, expected $FORMAT_LINES"
  record "6 $format: parse" "$parsed" "$(stat -c %s "$input")" "$wall" \
    "$(calc "$user + $sys")" "$(calc "$kib / 1024")"
  throughput "6 $format → http (gzip)" "$input" "$format" "$FORMAT_LINES" http
}
scenario_auditd() { format_scenarios auditd; }
scenario_k8s() { format_scenarios k8s; }
