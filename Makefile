# The two commands of the README: `make demo` and `make test`. Both start from a bare Debian
# bookworm machine: they install what is missing, build, and run.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
PACKAGES := cmake g++ make pkg-config curl librdkafka-dev rapidjson-dev libcpp-httplib-dev libgflags-dev \
            libgoogle-glog-dev libgtest-dev libgmock-dev libbenchmark-dev libssl-dev \
            python3 python3-venv openjdk-17-jre-headless maven chromium openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build build-asan demo test faults fuzz bench bench-rebalance kafka-up kafka-down clean

deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j $(JOBS)

build-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFERRY_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)

demo: build
	./build/ferry demo

test: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j 2 --timeout 600

# The fault scenarios (tests/faults, docs/reliability.md) at full length: ten kill -9s, a four-minute
# target outage (`make test` runs both at CI length), and broker restarts on 3-node clusters (only here).
faults: build-asan
	cd build-asan && FERRY_FAULTS_FULL=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure --verbose -L faults --timeout 1800
	cd build-asan && FERRY_FAULTS_FULL=1 FERRY_KAFKA_RUN=$(CURDIR)/build-asan/kafka ASAN_OPTIONS=detect_leaks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ./tests/faults/ferry_fault_tests --gtest_filter='BrokerRestarts*'

# The fuzz targets (tests/fuzz, docs/testing.md "Fuzzing for longer") with clang's libFuzzer,
# coverage-guided, FUZZ_SECONDS each; `make test` replays their corpora and mutates briefly under g++.
# clang is installed here only (about 14 MB with LLVM 14 present): CI does not need it.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= fuzz_rest fuzz_properties fuzz_json fuzz_internal_records fuzz_kafka_protocol
fuzz: deps
	@dpkg-query -W -f='$${Status}\n' clang 2>/dev/null | grep -q 'ok installed' || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq clang; }
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DFERRY_SANITIZE=ON -DFERRY_FUZZ=ON -DFERRY_WERROR=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t && \
	  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ./build-fuzz/tests/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 \
	    -artifact_prefix=build-fuzz/ build-fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Real Kafka clusters (source and target) for running tests or benchmarks by hand; ctest starts its own.
kafka-up: deps
	python3 tests/kafka/kafka_cluster.py --run-dir build/kafka up

kafka-down:
	python3 tests/kafka/kafka_cluster.py --run-dir build/kafka down

bench: build
	./build/tests/perf/mirror_bench

bench-rebalance: build
	./build/tests/perf/rebalance_bench

clean:
	rm -rf build build-asan
