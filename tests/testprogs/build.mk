# Test programs and libraries for the conformance suite (see
# tests/testprogs/*.c and tests/testlibs/*.c).  Included by the top-level
# Makefile; paths are relative to the repository root, where make runs.
#
#   make testprogs        builds build/testprogs/NAME and build/testlibs/libNAME.so
#   make testprogs-clean  removes them
#
# Each program is compiled and linked in one step, so build/testprogs holds
# nothing but the programs themselves (the conformance runner copies the whole
# directory and cases glob it, e.g. ./testprogs/usdt*).

# Keep whatever default goal the including Makefile has (restored at the end).
TESTPROGS_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

TESTPROGS_SRCDIR    := tests/testprogs
TESTPROGS_LIBSRCDIR := tests/testlibs
TESTPROGS_OUTDIR    := build/testprogs
TESTPROGS_LIBOUTDIR := build/testlibs

# gcc is the default because usdt_args relies on how gcc picks USDT operand
# addressing modes at -O0.
TESTPROGS_CC      ?= gcc
TESTPROGS_CFLAGS  ?= -std=gnu17 -g -O0 -Wall
TESTPROGS_LDFLAGS ?=
TESTPROGS_LDLIBS  ?=

TESTPROGS_SRCS  := $(sort $(wildcard $(TESTPROGS_SRCDIR)/*.c))
TESTPROGS_NAMES := $(patsubst $(TESTPROGS_SRCDIR)/%.c,%,$(TESTPROGS_SRCS))
TESTPROGS_BINS  := $(addprefix $(TESTPROGS_OUTDIR)/,$(TESTPROGS_NAMES))
TESTPROGS_HDRS  := $(wildcard $(TESTPROGS_SRCDIR)/*.h)

TESTPROGS_LIBSRCS := $(sort $(wildcard $(TESTPROGS_LIBSRCDIR)/*.c))
TESTPROGS_LIBS    := $(patsubst $(TESTPROGS_LIBSRCDIR)/%.c,$(TESTPROGS_LIBOUTDIR)/lib%.so,$(TESTPROGS_LIBSRCS))

.PHONY: testprogs testprogs-clean
testprogs: $(TESTPROGS_BINS) $(TESTPROGS_LIBS)

$(TESTPROGS_OUTDIR) $(TESTPROGS_LIBOUTDIR):
	mkdir -p $@

# Executables: not position independent, as bpftrace builds them.
$(TESTPROGS_OUTDIR)/%: $(TESTPROGS_SRCDIR)/%.c $(TESTPROGS_HDRS) | $(TESTPROGS_OUTDIR)
	$(TESTPROGS_CC) $(TESTPROGS_CFLAGS) -no-pie $(TESTPROGS_LDFLAGS) \
	    -o $@ $< $(TESTPROGS_LDLIBS)

# usdt_lib gets its probes from libusdt_tp.so, found next door at run time.
$(TESTPROGS_OUTDIR)/usdt_lib: $(TESTPROGS_SRCDIR)/usdt_lib.c \
    $(TESTPROGS_LIBOUTDIR)/libusdt_tp.so | $(TESTPROGS_OUTDIR)
	$(TESTPROGS_CC) $(TESTPROGS_CFLAGS) -no-pie $(TESTPROGS_LDFLAGS) \
	    -o $@ $< -L$(TESTPROGS_LIBOUTDIR) -lusdt_tp \
	    -Wl,-rpath,'$$ORIGIN/../testlibs' $(TESTPROGS_LDLIBS)

# Shared libraries.
$(TESTPROGS_LIBOUTDIR)/lib%.so: $(TESTPROGS_LIBSRCDIR)/%.c $(TESTPROGS_HDRS) | $(TESTPROGS_LIBOUTDIR)
	$(TESTPROGS_CC) $(TESTPROGS_CFLAGS) -fPIC -shared $(TESTPROGS_LDFLAGS) \
	    -o $@ $< $(TESTPROGS_LDLIBS)

# libsimple.so must not be executable (cases probe a non-executable file).
$(TESTPROGS_LIBOUTDIR)/libsimple.so: $(TESTPROGS_LIBSRCDIR)/simple.c | $(TESTPROGS_LIBOUTDIR)
	$(TESTPROGS_CC) $(TESTPROGS_CFLAGS) -fPIC -shared $(TESTPROGS_LDFLAGS) \
	    -o $@ $< $(TESTPROGS_LDLIBS)
	chmod a-x $@

testprogs-clean:
	rm -f $(TESTPROGS_BINS) $(TESTPROGS_LIBS)

.DEFAULT_GOAL := $(TESTPROGS_SAVED_DEFAULT_GOAL)
