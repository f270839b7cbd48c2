#!/usr/bin/env bash
# Runs the JMH suite for the results page and regenerates it: jmh/RESULTS.md and jmh/results.png,
# from the JSON of this one run (kept as jmh/results.json, with a line about the run in
# jmh/results-run.txt, so that the page can be regenerated without running again).
#
#   mvn -B -Dinvoker.skip=true install -DskipTests && (cd jmh && mvn -B -Djmh.skip=true package)
#   jmh/run-results.sh               # the suite: -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc -rf json
#   jmh/run-results.sh 'VmaLookup'   # extra arguments go to JMH (a regex, -p ...): a partial page
#   jmh/run-results.sh --page-only   # regenerate page and chart from jmh/results.json
#
# Duration: every benchmark at every parameter point (70 runs), 8 s of warmup and measurement each
# plus its fork's start and setup: about 16 minutes on a 2-core machine. The numbers are only as
# quiet as the machine: the page records the load average before and after the run. Analysis that
# should survive a regeneration goes in jmh/results-notes.md, which the page copies.
set -euo pipefail
cd "$(dirname "$0")"
jar=target/benchmarks.jar
[[ -f "$jar" ]] || { echo "run-results: $jar is missing; run 'mvn package' in jmh/ first" >&2; exit 2; }
json=results.json
opts=(-f 1 -wi 3 -i 5 -w 1s -r 1s)
note=""
if [[ "${1:-}" != "--page-only" ]]; then
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s)
  mkdir -p target
  set +e
  java -jar "$jar" "${opts[@]}" -foe true -prof gc -rf json -rff target/results.json "$@" \
    2>&1 | tee target/results.log
  rc=${PIPESTATUS[0]}
  set -e
  [[ $rc -eq 0 ]] || { echo "run-results: the JMH run failed (exit $rc)" >&2; exit 1; }
  cp target/results.json "$json"
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  minutes=$(( ($(date +%s) - start + 59) / 60 ))
  note="The run took about ${minutes} min with \`${opts[*]} -prof gc\` on $(nproc) CPUs (load average \
1/5/15 min: ${load_before} before, ${load_after} after; a load near or above the CPU count means \
other work shared the cores and the numbers, the two-thread ones most, are noisy)."
  printf '%s\n' "$note" > results-run.txt
elif [[ -f results-run.txt ]]; then
  note=$(cat results-run.txt)
fi
[[ -f "$json" ]] || { echo "run-results: no $json to build the page from" >&2; exit 2; }
java -Djava.awt.headless=true -cp "$jar" io.github.vmalock.jmh.report.ResultsPage \
  --json "$json" --md RESULTS.md --png results.png --notes results-notes.md \
  --command "jmh/run-results.sh" --note "$note"
