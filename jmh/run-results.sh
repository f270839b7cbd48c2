#!/usr/bin/env bash
# Runs the JMH suite for the results page and regenerates it: docs/results/jmh/RESULTS.md and
# docs/results/jmh/results.png, from the JSON of this one run (kept as docs/results/jmh/results.json,
# with a line about the run in docs/results/jmh/results-run.txt, so that the page can be regenerated
# without running again). Generated files live under docs/results/jmh/, out of the source tree.
#
#   mvn -B -Dinvoker.skip=true install -DskipTests && (cd jmh && mvn -B -Djmh.skip=true package)
#   jmh/run-results.sh               # the suite, then the fork passes (below)
#   jmh/run-results.sh 'VmaLookup'   # extra arguments go to JMH (a regex, -p ..., not -f): a partial page,
#                                    # one pass only
#   jmh/run-results.sh --page-only   # regenerate page and chart from docs/results/jmh/results.json
#
# A run has three passes, all with -wi 3 -i 5 -w 1s -r 1s -prof gc -rf json:
#   1. the whole suite, one fork per parameter point (88 points);
#   2. VmaLookupBench.lookup for PER_VMA, MAPLE_LOAD and CSLM at 4,096 and 65,536 VMAs, five forks
#      per point: at 65,536 VMAs one fork's number depends on where that JVM's heap put the tree
#      and the VMAs (single forks have differed by 2x), so the size bar is read from five;
#   3. WorkingSetBench (where the 65,536-VMA time goes), three forks per point;
#   4. pass 2's PER_VMA and MAPLE_LOAD points again with -Dvmalock.bench.compact=false: the trials
#      measure the structures as the build left them in the heap, without the full collection that
#      ends every setup (MmLayout.compact). Kept apart, in docs/results/jmh/results-as-built.json.
# Passes 2 and 3 replace the first pass's rows of the same point (report.MergeResults); the page's
# table says how many forks each row averages.
#
# Duration: about 18 minutes for the first pass on a 2-core machine (8 s of warmup and
# measurement per point plus its fork's start and setup), 7 for the second, 5 for the third and 4
# for the fourth. The
# numbers are only as quiet as the machine: the page records the load average before and after the
# run. The analysis is docs/benchmarks.md; docs/results/jmh/notes.md, which the page copies, points
# to it.
set -euo pipefail
cd "$(dirname "$0")"
jar=target/benchmarks.jar
[[ -f "$jar" ]] || { echo "run-results: $jar is missing; run 'mvn package' in jmh/ first" >&2; exit 2; }
out=../docs/results/jmh
json=$out/results.json
opts=(-wi 3 -i 5 -w 1s -r 1s)
note=""
if [[ "${1:-}" != "--page-only" ]]; then
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s)
  mkdir -p target
  # pass NAME ARGS...: one JMH invocation, its JSON in target/results-NAME.json.
  pass() {
    local name=$1
    shift
    set +e
    java -jar "$jar" "${opts[@]}" -foe true -prof gc -rf json -rff "target/results-$name.json" "$@" \
      2>&1 | tee "target/results-$name.log"
    local rc=${PIPESTATUS[0]}
    set -e
    [[ $rc -eq 0 ]] || { echo "run-results: the JMH pass '$name' failed (exit $rc)" >&2; exit 1; }
  }
  if [[ $# -gt 0 ]]; then
    pass partial -f 1 "$@"
    cp target/results-partial.json "$json"
  else
    pass suite -f 1
    pass lookup-forks -f 5 'VmaLookupBench.lookup' -p size=4096,65536 -p impl=PER_VMA,MAPLE_LOAD,CSLM \
      -p gapPct=0
    pass working-set-forks -f 3 'WorkingSetBench'
    pass as-built -f 5 'VmaLookupBench.lookup' -p size=4096,65536 -p impl=PER_VMA,MAPLE_LOAD \
      -p gapPct=0 -jvmArgsAppend -Dvmalock.bench.compact=false
    java -cp "$jar" io.github.vmalock.jmh.report.MergeResults "$json" target/results-suite.json \
      target/results-lookup-forks.json target/results-working-set-forks.json
    cp target/results-as-built.json "$out/results-as-built.json"
  fi
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  minutes=$(( ($(date +%s) - start + 59) / 60 ))
  note="The run took about ${minutes} min with \`${opts[*]} -prof gc\` (one fork per point; five, three and five in the second, third and fourth passes) on $(nproc) CPUs (load average \
1/5/15 min: ${load_before} before, ${load_after} after; a load near or above the CPU count means \
other work shared the cores and the numbers, the two-thread ones most, are noisy)."
  printf '%s\n' "$note" > "$out/results-run.txt"
elif [[ -f "$out/results-run.txt" ]]; then
  note=$(cat "$out/results-run.txt")
fi
[[ -f "$json" ]] || { echo "run-results: no $json to build the page from" >&2; exit 2; }
java -Djava.awt.headless=true -cp "$jar" io.github.vmalock.jmh.report.ResultsPage \
  --json "$json" --md "$out/RESULTS.md" --png "$out/results.png" --notes "$out/notes.md" \
  --command "jmh/run-results.sh" --note "$note"
