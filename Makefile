# bottle: an OCI runtime that confines AI coding agents behind a pipelock proxy.
#
#   make            build build/bottle and build/bottle-run
#   make test       install what is missing (Debian), build, run every test
#   make demo       install what is missing, build, run a bottled agent
#   make install    install into $(DESTDIR)$(PREFIX): bin, libexec, man pages, bash completion
#   make deb        a Debian package in $(BUILD)/deb (dpkg-buildpackage, lintian)
#   make asan       ASan/UBSan build of everything under build/asan
#   make format     clang-format the tree
#
# Knobs: FUZZ_SECONDS (per fuzz target in make test), TESTS (glob filter for tests/run).

PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=
BUILD ?= build
SAN ?=
FUZZ_SECONDS ?= 10
VERSION := 0.1.0
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# Debian packages: what building needs, and what the tests drive.
BUILD_DEPS := gcc make pkg-config libnl-3-dev libnl-route-3-dev libseccomp-dev libcap-dev \
	libcjson-dev libyaml-dev libnftables-dev clang libclang-rt-14-dev
TEST_DEPS := busybox-static runc crun docker.io containerd podman containernetworking-plugins \
	iptables iproute2 curl socat valgrind procps psmisc nftables python3 util-linux \
	dpkg-dev debhelper lintian mmdebstrap

PKGS := libnl-3.0 libnl-route-3.0 libseccomp libcap libcjson yaml-0.1 libnftables
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
# Headers only: netns/optional_libs.c loads these with dlopen when a bottled network needs them.
OPTIONAL_PKGS := libnl-3.0 libnl-route-3.0 libnftables
PKG_LIBS = $(shell pkg-config --libs $(filter-out $(OPTIONAL_PKGS),$(PKGS)))

CC ?= gcc
ifeq ($(CC),cc)
CC := gcc
endif
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. $(WARN) -g \
	-DBOTTLE_VERSION='"$(VERSION)"' -DBOTTLE_COMMIT='"$(COMMIT)"' \
	-DBOTTLE_LIBEXECDIR='"$(PREFIX)/libexec/bottle"'
# Fault injection (BOTTLE_CREATE_CRASH_AT, BOTTLE_NETNS_FAIL_AT) exists in the sanitized test
# build only: the release binary never reads those variables.
ifeq ($(SAN),1)
OPT_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-DBOTTLE_FAULT_INJECTION
OPT_LDFLAGS := -fsanitize=address,undefined
else
OPT_CFLAGS := -O2 -fstack-protector-strong
OPT_LDFLAGS :=
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(OPT_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(OPT_LDFLAGS) $(LDFLAGS)

CONFIG_SRC := $(wildcard config/*.c)
NETNS_SRC := $(wildcard netns/*.c)
DOUBLE_SRC := $(wildcard tests/pipelock-double/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
HELPER_SRC := $(wildcard tests/helpers/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CONFIG_LIB := $(BUILD)/libbottle-config.a
NETNS_LIB := $(BUILD)/libbottle-netns.a
BOTTLE := $(BUILD)/bottle
CONNECT_HELPER := $(BUILD)/bottle-connect
EGRESS_HELPER := $(BUILD)/bottle-egress
DOUBLE := $(BUILD)/pipelock-double
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(HELPER_SRC))

.PHONY: all deps test check demo install asan fuzz format clean bench deb
# Keep intermediate objects: no trailing rm lines after the test summary.
.SECONDARY:
all: $(BOTTLE) $(BUILD)/bottle-run $(CONNECT_HELPER) $(EGRESS_HELPER) $(if $(DOUBLE_SRC),$(DOUBLE)) $(UNIT_BINS) $(HELPER_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(CONFIG_LIB): $(call obj,$(CONFIG_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(NETNS_LIB): $(call obj,$(NETNS_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# runtime/ is in folders by concern (README.md, "Layout"), one archive each; main.c is the
# binary's own object, and helpers/ is built on its own.
.SECONDEXPANSION:
$(BUILD)/libbottle-%.a: $$(call obj,$$(filter-out runtime/cli/main.c,$$(wildcard runtime/$$*/*.c)))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Linked in the layer order, without --start-group: a call from a folder to one above it (which
# the include check cannot see when the declaration is elsewhere) fails the link. config/ and
# netns/ come after bottle/, the one folder that uses them; of runtime/ they use only lib's
# error value (error.c), and lib comes last.
rlib = $(foreach d,$(1),$(BUILD)/libbottle-$(d).a)
LIBS_ALL = $(call rlib,cli bottle) $(CONFIG_LIB) $(NETNS_LIB) $(call rlib,container rootfs cgroup security lib)

# libnftables and libnl are not linked (OPTIONAL_PKGS): netns/optional_libs.c defines the
# functions netns/ calls and dlopen()s the library on first use, so a call that is missing from
# its tables fails this link as an undefined reference. Debug sections are compressed because
# every run copies the whole file into a sealed memfd.
$(BOTTLE): $(BUILD)/obj/runtime/cli/main.o $(LIBS_ALL)
	$(CC) $(ALL_LDFLAGS) -Wl,--compress-debug-sections=zlib -o $@ $^ -Wl,--as-needed $(PKG_LIBS)
	@if readelf -d $@ | grep -E 'NEEDED.*(libnl|libnftables)'; then \
	  echo "error: $@ links the library above at exec: netns/optional_libs.c loads it on first use" >&2; \
	  rm -f $@; exit 1; fi

# bottle-run is the same binary; it looks at argv[0].
$(BUILD)/bottle-run: $(BOTTLE)
	ln -sf bottle $@

# The ssh ProxyCommand bind-mounted into bottled agents: static, so it runs in any image, and
# never sanitized (ASan cannot link statically).
$(CONNECT_HELPER): runtime/helpers/bottle_connect.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -static -s -o $@ $<

# The sidecar's entrypoint with network.proxyless: pipelock's parent, the agent's resolver and
# the redirector (runtime/helpers/bottle_egress.c). Static for the same reason: it runs in the
# pipelock image.
EGRESS_SRC := runtime/helpers/bottle_egress.c runtime/helpers/egress_parse.c
$(EGRESS_HELPER): $(EGRESS_SRC) runtime/helpers/egress_parse.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -static -s -o $@ $(EGRESS_SRC)

# The double is independent of bottle's own config code on purpose: it checks what bottle emits.
$(DOUBLE): $(call obj,$(DOUBLE_SRC))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lyaml -lpthread

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/helpers/%.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# libFuzzer targets: clang, config/ only (it is pure: the error value is all it uses of
# runtime/), ASan+UBSan.
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS)
FUZZ_DEPS := $(CONFIG_SRC) runtime/lib/error.c
build/fuzz/%: tests/fuzz/%.c $(FUZZ_DEPS) $(wildcard config/*.h) runtime/lib/error.h $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_DEPS) $(PKG_LIBS)
# The egress fuzzers take bottle-egress's parsers (pure, like config/) instead.
EGRESS_FUZZ_DEPS := runtime/helpers/egress_parse.c
build/fuzz/fuzz_egress_%: tests/fuzz/fuzz_egress_%.c $(EGRESS_FUZZ_DEPS) runtime/helpers/egress_parse.h \
		$(wildcard tests/fuzz/*.h) $(wildcard config/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(EGRESS_FUZZ_DEPS)
fuzz: $(FUZZ_BINS)

asan:
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all

# The CRI test client (integration/cri*.sh) is node and two npm packages (its lock file):
# node and npm come from Debian unless there already, its node_modules go to $(BUILD)/test-cache.
deps:
	@missing=""; for p in $(BUILD_DEPS) $(TEST_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	fi
	@need=""; command -v node >/dev/null 2>&1 || need=nodejs; \
	command -v npm >/dev/null 2>&1 || need="$$need npm"; \
	if [ -n "$$need" ]; then \
	  echo "installing: $$need"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$need >/dev/null; \
	fi
	@tests/helpers/cri-client/install.sh $(BUILD) >/dev/null

# The tests run the plain build (what users install) and, for the unit tests,
# the ASan/UBSan build.
check: all asan fuzz
	BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run $(TESTS)

test: deps
	$(MAKE) --no-print-directory check

demo: deps
	$(MAKE) --no-print-directory all
	integration/demo.sh

bench: deps
	$(MAKE) --no-print-directory all
	integration/bench/run.sh

install: $(BOTTLE) $(CONNECT_HELPER) $(EGRESS_HELPER)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/bottle
	install -m 0755 $(BOTTLE) $(DESTDIR)$(PREFIX)/bin/bottle
	install -m 0755 $(CONNECT_HELPER) $(DESTDIR)$(PREFIX)/libexec/bottle/bottle-connect
	install -m 0755 $(EGRESS_HELPER) $(DESTDIR)$(PREFIX)/libexec/bottle/bottle-egress
	ln -sf bottle $(DESTDIR)$(PREFIX)/bin/bottle-run
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 docs/man/bottle.8 docs/man/bottle-run.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/man/bottle.json.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 docs/completion/bottle.bash $(DESTDIR)$(COMPLETIONDIR)/bottle
	ln -sf bottle $(DESTDIR)$(COMPLETIONDIR)/bottle-run

# A Debian package from this tree (docs/debian/ is its debian/ directory): the sources are
# copied to $(BUILD)/deb, built there with dpkg-buildpackage (PREFIX=/usr) and checked by
# lintian; the .deb lands in $(BUILD)/deb. Needs dpkg-dev, debhelper and lintian.
DEB_DIR = $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/bottle-$(VERSION)
	tar -c runtime config netns Makefile README.md docs | \
	  tar -x -C $(DEB_DIR)/bottle-$(VERSION)
	cp -r docs/debian $(DEB_DIR)/bottle-$(VERSION)/debian
	cd $(DEB_DIR)/bottle-$(VERSION) && BOTTLE_COMMIT=$(COMMIT) dpkg-buildpackage -b -us -uc -Jauto
	lintian --fail-on error,warning $(DEB_DIR)/bottle_$(VERSION)_*.changes

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
