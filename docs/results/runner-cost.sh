#!/bin/bash
# The runner's own cost (docs/experiments.md): the JMH fast path and a fault-only simulator run,
# interleaved three times. Build first: the README's run command, then `mvn -q install -DskipTests
# -Dinvoker.skip=true` and `(cd jmh && mvn -q package)`. OLD_JAR=path/to/an-older-cli.jar adds
# that build's simulator to each round, for a before/after in the same sitting.
set -euo pipefail
cd "$(dirname "$0")/../.."
sim() {
  java -jar "$1" run --mix page-fault=1 -t 1 -w 0 -d 3s --vmas 64 --debug=false 2>&1 | grep "page-fault "
}
for rep in 1 2 3; do
  java -jar jmh/target/benchmarks.jar 'VmaLookupBench.lookup$' -p size=64 -p impl=PER_VMA -p gapPct=0 \
    -f 1 -wi 2 -i 3 -w 1s -r 1s -t 1 2>&1 | grep -E "^VmaLookupBench.lookup " | sed 's/^/jmh   /'
  if [ -n "${OLD_JAR:-}" ]; then sim "$OLD_JAR" | sed 's/^/old   /'; fi
  sim target/vmalock-sim-0.1.0-SNAPSHOT-cli.jar | sed 's/^/new   /'
done
