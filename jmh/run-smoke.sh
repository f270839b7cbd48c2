#!/usr/bin/env bash
# The test command's JMH smoke: every benchmark once, at one parameter point, in a short mode.
# It proves each benchmark runs and fails on the first benchmark error (-foe true); the numbers
# mean nothing. The real runs are documented in README.md (long mode, -prof gc, -rf json).
#
# The parameter points: every benchmark names its size parameter "size" and its alternative
# implementation "impl"; JMH ignores a -p for a parameter a benchmark does not have, and runs the
# cross product of every parameter left unpinned, so every parameter of every benchmark is pinned
# here (a value given for "impl" must be a constant of every enum named "impl"):
#   size=64          all size parameters
#   impl=PER_VMA     VmaLookupBench.Impl, and LockMode in UnderWriterBench and SameVmaSharingBench
#   gapPct=0         VmaLookupBench: no addresses in gaps
#   sharing=DIFFERENT_VMAS   SameVmaSharingBench.twoThreads
#   step=PER_VMA     FastPathCostBench (and its THP subclass): the whole fast path
#   neighbour=WRITER UnderWriterCauseBench (and its Epsilon subclass): the real writer
#   layout=SMALL     WorkingSetBench: 4,096 VMAs (its smallest layout)
#   target=SAME_TREE TreeStoreBesideLoadBench: the writer stores into the reader's tree
#   (MemoryLatencyBench's working set is its "size", in KiB: 64 KiB)
set -euo pipefail
cd "$(dirname "$0")"
jar=target/benchmarks.jar
[[ -f "$jar" ]] || { echo "run-smoke: $jar is missing; run 'mvn package' in jmh/ first" >&2; exit 2; }
log=target/jmh-smoke.log
start=$(date +%s)
set +e
java -jar "$jar" -f 1 -wi 1 -w 100ms -i 1 -r 100ms -foe true \
  -p size=64 -p impl=PER_VMA -p gapPct=0 -p sharing=DIFFERENT_VMAS -p step=PER_VMA -p neighbour=WRITER -p layout=SMALL -p target=SAME_TREE \
  -rf json -rff target/jmh-smoke.json "$@" 2>&1 | tee "$log" | grep -E --line-buffered '^# Benchmark:|^Benchmark |^[A-Za-z].*(ns/op|ops/|us/op|B/op)|ERROR|Exception|No matching benchmarks'
rc=${PIPESTATUS[0]}
set -e
end=$(date +%s)
count=$(grep -c '^# Benchmark:' "$log" || true)
echo "JMH smoke: exit $rc, $count benchmark runs in $((end - start)) s; log $log"
if [[ $rc -ne 0 ]] || grep -q 'No matching benchmarks' "$log" || [[ $count -eq 0 ]]; then
  echo "JMH smoke FAILED" >&2
  tail -50 "$log" >&2
  exit 1
fi
# The contract: one parameter point per benchmark. A benchmark listed twice has a parameter the
# -p list above does not pin.
dups=$(grep '^# Benchmark:' "$log" | sort | uniq -d)
if [[ -n "$dups" ]]; then
  echo "JMH smoke FAILED: these benchmarks ran at more than one parameter point (pin the new" >&2
  echo "parameter with -p above): $dups" >&2
  exit 1
fi
