#!/bin/sh
# TPE trials over Kafka (issue 15 acceptance 3): trials per minute of a 40-trial tuning job on one `pot serve` against
# two in one group (fresh servers per run, a warm-up job first, alternated rounds), then the counts after a kill -9 of
# the job's owner mid-job. Real parts: an in-process KRaft broker and the distribution's `pot serve` processes
# (itests/kafka's harness). Needs the built distribution: mvn -o -q install -DskipTests at the root first.
#   benchmarks/trials/run.sh [-Dpot4j.benchmark.rounds=2] [-Dpot4j.benchmark.threads=1]
# Prints lines starting with "TrialsBenchmark:"; asserts nothing.
cd "$(dirname "$0")/../.." || exit 1
exec mvn -o verify -pl itests/kafka -Dit.test=TrialsBenchmarkIT -Dpot4j.benchmark.trials=true -Dtest=none \
  -Dsurefire.failIfNoSpecifiedTests=false "$@" | grep --line-buffered -E "TrialsBenchmark|Tests run|FAIL|ERROR"
