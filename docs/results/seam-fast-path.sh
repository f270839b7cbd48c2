#!/bin/bash
# The fast-path bars before and after a change, in one sitting, interleaved (docs/benchmarks.md):
# VmaLookupBench.lookup at 4,096 VMAs, gapPct 0, for PER_VMA, CSLM and MAPLE_LOAD (the bare tree
# load). Usage: seam-fast-path.sh BEFORE.jar AFTER.jar, each a jmh/target/benchmarks.jar built
# from the commit to compare (mvn -q install -DskipTests -Dinvoker.skip=true -Djacoco.skip=true,
# then (cd jmh && mvn -q package)).
set -euo pipefail
before=$1
after=$2
for rep in 1 2; do
  for which in before after; do
    jar=$before
    [ "$which" = after ] && jar=$after
    java -jar "$jar" 'VmaLookupBench.lookup$' -p size=4096 -p impl=PER_VMA,CSLM,MAPLE_LOAD -p gapPct=0 \
      -f 1 -wi 3 -i 5 -w 1s -r 1s -t 1 2>&1 | grep -E "^VmaLookupBench.lookup " | sed "s/^/$which r$rep  /"
  done
done
