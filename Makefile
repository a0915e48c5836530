# hsprobe — build, test and run.  `make help` lists the targets.
#
# Both README commands (`make run`, `make test`) depend on `deps`, which installs what is missing
# with apt-get.  Everything that talks to a target runs inside a private network namespace
# (see harness/py/hsprobe/netns.py).

CC      ?= gcc
PKGS    := gnutls nettle
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
               -Wstrict-prototypes -Wmissing-prototypes -Wvla -g \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS_BASE := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS  := $(shell pkg-config --libs check 2>/dev/null)

# Two build flavours share one rule set: build/ (optimised) and build-asan/ (sanitizers).
OPT_release := -O2
OPT_asan    := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

SRC_DIR   := harness/src
LIB_SRCS  := $(filter-out $(SRC_DIR)/cli_main.c,$(wildcard $(SRC_DIR)/*.c))
CLI_SRCS  := $(SRC_DIR)/cli_main.c
UNIT_SRCS := $(wildcard harness/tests/unit/*.c)
BENCH_SRCS := $(wildcard harness/bench/*.c)

PYTHON  := /usr/bin/python3
# The scenario plugin is loaded with -p (PYTHONPATH makes it importable that early): declaring
# it in a conftest would need a conftest.py at the top level, which the layout keeps fixed.
PYTEST  := PYTHONPATH=harness/py $(PYTHON) -m pytest -p hsprobe.pytest_plugin

.PHONY: all build build-asan peers-bin deps test test-unit test-e2e test-asan run gate bench valgrind clean help

all: build
build: build/hsprobe build/unit_tests build/bench_handshake peers-bin
build-asan: build-asan/hsprobe build-asan/unit_tests

define flavour
$(1)/obj/%.o: $(SRC_DIR)/%.c $(wildcard $(SRC_DIR)/*.h) | $(1)/obj
	$$(CC) $$(CFLAGS_BASE) $$(OPT_$(2)) -c $$< -o $$@
$(1)/obj/unit_%.o: harness/tests/unit/%.c $(wildcard $(SRC_DIR)/*.h harness/tests/unit/*.h) | $(1)/obj
	$$(CC) $$(CFLAGS_BASE) $$(OPT_$(2)) -I$(SRC_DIR) $$(shell pkg-config --cflags check) -c $$< -o $$@
$(1)/obj/bench_%.o: harness/bench/%.c $(wildcard $(SRC_DIR)/*.h) | $(1)/obj
	$$(CC) $$(CFLAGS_BASE) $$(OPT_$(2)) -I$(SRC_DIR) -c $$< -o $$@
$(1)/libhsprobe.a: $(patsubst $(SRC_DIR)/%.c,$(1)/obj/%.o,$(LIB_SRCS))
	rm -f $$@ && ar rcs $$@ $$^
$(1)/hsprobe: $(1)/obj/cli_main.o $(1)/libhsprobe.a
	$$(CC) $$(OPT_$(2)) -o $$@ $$^ $$(LDLIBS_BASE)
$(1)/unit_tests: $(patsubst harness/tests/unit/%.c,$(1)/obj/unit_%.o,$(UNIT_SRCS)) $(1)/libhsprobe.a
	$$(CC) $$(OPT_$(2)) -o $$@ $$^ $$(LDLIBS_BASE) $$(CHECK_LIBS)
$(1)/bench_handshake: $(patsubst harness/bench/%.c,$(1)/obj/bench_%.o,$(BENCH_SRCS)) $(1)/libhsprobe.a
	$$(CC) $$(OPT_$(2)) -o $$@ $$^ $$(LDLIBS_BASE)
$(1)/obj:
	mkdir -p $$@
endef
$(eval $(call flavour,build,release))
$(eval $(call flavour,build-asan,asan))

# The project's own known-bad/fixed TLS servers (peers/*/src), launched by their peers' `run`.
PEER_C_COMMON := peers/lib/c/twin_net.c
peers-bin: build/peers/scsv-server build/peers/xmpp-reneg-server
build/peers/scsv-server: peers/scsv-ignored/src/scsv_server.c $(PEER_C_COMMON) peers/lib/c/twin_net.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 -Ipeers/lib/c -o $@ $< $(PEER_C_COMMON) $(LDLIBS_BASE)
build/peers/xmpp-reneg-server: peers/xmpp-reneg-accept/src/xmpp_reneg_server.c $(PEER_C_COMMON) peers/lib/c/twin_net.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 -Ipeers/lib/c -o $@ $< $(PEER_C_COMMON) $(LDLIBS_BASE)

# Installs what the build and the tests need; skips what is present.  A policy-rc.d guard stops
# Debian's tor package (and postfix, dovecot, prosody, inn2) from starting system daemons (tor
# would dial the public network).  The TLS-family peers (peers/*/README.md) need the servers,
# the comparison tools (testssl.sh, sslscan) and real clients (openssl, curl, swaks, sendxmpp).
DEB_PKGS := build-essential pkg-config libgnutls28-dev nettle-dev gnutls-bin check libsubunit-dev tor \
            tcpdump tshark iproute2 util-linux python3 python3-pytest python3-cryptography \
            python3-jsonschema chromium python3-pil \
            postfix dovecot-imapd dovecot-pop3d prosody inn2 testssl.sh sslscan openssl curl \
            swaks sendxmpp
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing:" $$missing; \
	  guard=0; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing) >/tmp/hsprobe-apt.log 2>&1; rc=$$?; \
	  if [ $$rc != 0 ] && ! dpkg-query -W -f='$${Status}' inn2 2>/dev/null | grep -q 'ok installed'; then \
	    echo "deps: inn2's postinst needs domain: in /etc/news/inn.conf; setting it and configuring again"; \
	    sed -i 's/^#\?[[:space:]]*domain:.*/domain: localdomain/' /etc/news/inn.conf; \
	    dpkg --configure -a >>/tmp/hsprobe-apt.log 2>&1 && apt-get install -y -qq --no-install-recommends $$missing >>/tmp/hsprobe-apt.log 2>&1; rc=$$?; \
	  fi; \
	  [ $$guard = 1 ] && rm -f /usr/sbin/policy-rc.d; \
	  if [ $$rc != 0 ]; then tail -20 /tmp/hsprobe-apt.log; echo "deps: apt-get failed (log: /tmp/hsprobe-apt.log)"; exit 1; fi; \
	else echo "deps: all present"; fi

# Targets that need the dependencies re-invoke make after `deps`: the pkg-config flags above
# are computed when make reads this file, which on a fresh machine is before deps installed the
# libraries they describe.
test: deps
	$(MAKE) --no-print-directory build
	build/unit_tests
	HSPROBE_BIN=build/hsprobe $(PYTEST) --hsprobe-report reports/$(STAMP) --junitxml reports/$(STAMP)/junit.xml

test-unit: build
	build/unit_tests

test-asan: deps
	$(MAKE) --no-print-directory build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build-asan/unit_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 HSPROBE_BIN=build-asan/hsprobe $(PYTEST) -m e2e

valgrind: deps
	$(MAKE) --no-print-directory build
	CK_FORK=no valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite build/unit_tests
	HSPROBE_BIN=build/hsprobe HSPROBE_WRAP="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite" $(PYTEST) -m e2e -k "handshake_matrix or results_are_schema_valid or seed_makes or failure_names or relay_names_our_fingerprint or good_chain_opens or relay_extends_to_us or committed_vectors_are_what_out_regenerates or check_finds_the_committed_vectors_ok or every_mitm_scenario_passes or relayed_authenticate or banner_never_sent or garbage_answer or long_line or close_mid_handshake or class_4 or curl_with_ssl_reqd or honest_path_logs or verdicts_and_evidence or trigger_rebuild"

# The gate: every scenario against one peer, compared with peers/$(PEER)/baseline.tsv.  pytest
# (with the scenario plugin) re-executes itself in a private network namespace; the run directory
# reports/<UTC stamp>/ gets results.jsonl, junit.xml, report.html, summary.txt, the peer's logs.
PEER  ?= tor-relay
STAMP := $(shell date -u +%Y%m%dT%H%M%SZ)
GATE_PYTEST = HSPROBE_BIN=build/hsprobe $(PYTEST) scenarios --peer $(PEER) --hsprobe-report reports/$(STAMP) \
              --junitxml reports/$(STAMP)/junit.xml $(if $(UPDATE_BASELINE),--update-baseline)
gate: deps
	$(MAKE) --no-print-directory build/hsprobe
	$(GATE_PYTEST)

# `make run`: the gate against a local tor relay, its pytest output kept in the run directory,
# and a one-screen summary on the terminal.  Exits non-zero when the gate fails.
run: deps
	$(MAKE) --no-print-directory build/hsprobe
	$(PYTHON) harness/py/run_default.py --peer tor-relay

bench: deps
	$(MAKE) --no-print-directory build/bench_handshake
	$(PYTHON) harness/py/run_bench.py

clean:
	rm -rf build build-asan

help:
	@echo "make            build build/hsprobe, unit tests and the benchmark"
	@echo "make run        start a local tor relay in a private netns, run every scenario against it,"
	@echo "                print a one-screen summary; report in reports/latest/"
	@echo "make gate PEER=tor-relay [UPDATE_BASELINE=1]"
	@echo "                the scenario suite against one peer compared with its baseline (CI gate)"
	@echo "make test       unit tests + pytest suite (end-to-end against a real tor relay)"
	@echo "make test-asan  the same built with AddressSanitizer + UBSan"
	@echo "make valgrind   unit tests, end-to-end handshakes and scenario runs under valgrind"
	@echo "make bench      50 handshakes per TLS version against a local relay: median, p95, peak RSS"
	@echo "harness/bin/hsprobe-wire RUNDIR [--json] [--write]"
	@echo "                re-check a saved run's results against its captures (wire truth), offline"
