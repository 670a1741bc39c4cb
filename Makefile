# SPDX-License-Identifier: GPL-2.0
#
#   make          build kmod/casvip.ko and ctl/casvipctl
#   make check    install what is missing, build, run every test
#   make bench    benchmarks in the VM (not part of check); figures in
#                 build/bench.txt
#   make style    checkpatch and sparse on the module
#   make deps     install the Debian packages the above need
#
# KDIR picks the kernel build tree: by default the running kernel's, or the
# installed Debian 12 cloud kernel's headers when that has none.

KDIR ?= $(shell scripts/kdir.sh)
BUILD := $(CURDIR)/build
KSRC := $(BUILD)/ksrc

all: module ctl

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

ctl:
	$(MAKE) -C ctl

deps:
	scripts/deps.sh

ksrc:
	scripts/ksrc.sh $(KSRC)

check: deps
	$(MAKE) all
	$(MAKE) ksrc
	$(MAKE) -C selftests KSRC=$(KSRC)
	selftests/run.sh

bench: deps
	$(MAKE) all
	$(MAKE) ksrc
	$(MAKE) -C selftests KSRC=$(KSRC)
	selftests/run.sh bench_persist.sh
	{ echo "kernel $$(scripts/kver.sh)"; echo "runs 1"; \
	  grep -a '^persist\.' $(BUILD)/selftests/tests.log; } >$(BUILD)/bench.txt
	cat $(BUILD)/bench.txt

STYLE_FILES = $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h)) \
	      include/uapi/linux/casvip.h

style: deps ksrc
	$(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $(STYLE_FILES)
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF=-D__CHECK_ENDIAN__ modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C ctl clean
	$(MAKE) -C selftests clean
	rm -rf $(BUILD)

.PHONY: all module ctl deps ksrc check bench style clean
