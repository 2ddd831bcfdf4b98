# kitsune.mk - building updatable program versions with GNU Make.
#
# The same flow as kitsune_add_program in Kitsune.cmake (docs/xf-language.md §5):
#
#   first version:  link the .so, kitc writes its summary, kitc --embed puts the
#                   summary into the .so (section .kitsune_ktt)
#   later versions: link a stage-1 .so (only to read its types), kitc, xfgen compares
#                   the previous version's summary with it (and the rules) and writes
#                   the transformers as C; xfgen --self writes those for updating the
#                   version from itself (the rules of the file that v -> v needs);
#                   both are compiled and linked into the final .so; then kitc and
#                   kitc --embed as above.
#
# Use:
#   KITSUNE_DIR := /path/to/kitsune/build        # or set the four variables below
#   include /path/to/kitsune/cmake/kitsune.mk
#
#   CFLAGS += $(KITSUNE_CFLAGS) $(KITSUNE_INCLUDE)
#   v1/%.o: %.c ; @mkdir -p v1 && $(CC) $(CFLAGS) -DVERSION=1 -c $< -o $@
#   v2/%.o: %.c ; @mkdir -p v2 && $(CC) $(CFLAGS) -DVERSION=2 -c $< -o $@
#
#   app-1.so: v1/main.o v1/net.o                      # objects of version 1
#   	$(call kitsune-version,-DVERSION=1)
#   app-2.so: v2/main.o v2/net.o app-1.so app.v2.xf
#   	$(call kitsune-update,app-1.so,app.v2.xf,-DVERSION=2)
#
# Only the .o prerequisites are linked ($(filter %.o,$^)); the previous version and the
# rules file are prerequisites so that a change to either rebuilds the transformers.
# The last argument adds flags for kitc's source parser (the -D that select the
# version, here); it may be left out.  Pass an empty rules argument when there is no
# .xf file: $(call kitsune-update,app-1.so,)
# xfgen stops the build with its diagnostics when it needs rules (see the docs).

# Where kitsune was built (a CMake build tree) or installed, and its sources.  The
# installed fragment (PREFIX/share/kitsune/kitsune.mk) finds its prefix by itself:
#   include $(shell pkg-config --variable=makefile kitsune)
kitsune_mk_dir := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
ifneq ($(wildcard $(kitsune_mk_dir)/../../include/kitsune.h),)
# (:= because a KITSUNE_DIR in the environment is the runtime's socket directory)
KITSUNE_DIR := $(abspath $(kitsune_mk_dir)/../..)
KITSUNE_SRC ?= $(KITSUNE_DIR)
else
KITSUNE_DIR ?= /usr/local
KITSUNE_SRC ?= $(abspath $(kitsune_mk_dir)/..)
endif

# Compiler flags for the kitsune header, link flags for libkitsune, the two tools.
KITSUNE_INCLUDE ?= -I$(KITSUNE_SRC)/include -I$(KITSUNE_DIR)/include
KITSUNE_LIB ?= -L$(KITSUNE_DIR)/lib -Wl,-rpath,$(KITSUNE_DIR)/lib -lkitsune
KITC ?= $(firstword $(wildcard $(KITSUNE_DIR)/tools/kitc/kitc $(KITSUNE_DIR)/bin/kitc) kitc)
XFGEN ?= $(firstword $(wildcard $(KITSUNE_DIR)/bin/xfgen) xfgen)

# Every version is position-independent with debug info (any -O level).
KITSUNE_CFLAGS ?= -fPIC -g
# The generated transformers compile without a warning, and no version links with an
# undefined symbol: what is wrong fails the build, never the live update.
KITSUNE_XF_CFLAGS ?= -Wall -Wextra -Werror
KITSUNE_LDFLAGS ?= -Wl,--no-undefined
# Source root: variable keys name files relative to it (DESIGN §4).
KITSUNE_ROOT ?= $(CURDIR)
# Extra flags for kitc's source parser (annotations): -I and -D as for the compiler.
KITSUNE_KITC_FLAGS ?= $(filter -I% -D% -U%,$(CFLAGS) $(CPPFLAGS))

# --self sees each module's new summary on both sides: "--module N O W" -> "--module N W W".
kitsune-self-modules = $(if $(1),--module $(word 2,$(1)) $(word 4,$(1)) $(word 4,$(1)) $(call kitsune-self-modules,$(wordlist 5,$(words $(1)),$(1))))

# $(call kitsune-summary,OUT.ktt,LIB.so[,KITC-FLAGS]): the type summary of an object.
kitsune-summary = $(KITC) -o $(1) --root $(KITSUNE_ROOT) $(KITSUNE_KITC_FLAGS) $(3) $(2)

# Recipe of a first version: link, summarise, embed the summary.
# $(call kitsune-version[,KITC-FLAGS])
define kitsune-version
$(CC) -shared -o $@ $(filter %.o,$^) $(LDFLAGS) $(KITSUNE_LDFLAGS) $(KITSUNE_LIB) $(LDLIBS)
$(call kitsune-summary,$@.ktt,$@,$(1))
$(KITC) --embed $@.ktt $@
endef

# Recipe of a module the program dlopens itself (docs/plugins.md): link, summarise,
# embed, as a first version; it is not linked against the main program.
# $(call kitsune-module[,KITC-FLAGS])
define kitsune-module
$(CC) -shared -o $@ $(filter %.o,$^) $(LDFLAGS) $(KITSUNE_LDFLAGS) $(KITSUNE_LIB) $(LDLIBS)
$(call kitsune-summary,$@.ktt,$@,$(1))
$(KITC) --embed $@.ktt $@
endef

# Recipe of a version that updates from $(1) (its .so; $(1).ktt is its summary) with
# the rules in $(2) (may be empty).  Leaves $@.types.so, $@.types.ktt, $@.xf.c and
# $@.self.xf.c.  $(4): the program's modules for xfgen, so that rules may name their
# keys: "--module NAME OLD.so.ktt NEW.so.ktt ..." (- for a module one side lacks).
# $(call kitsune-update,PREV.so,RULES.xf[,KITC-FLAGS[,MODULES]])
define kitsune-update
$(CC) -shared -o $@.types.so $(filter %.o,$^) $(LDFLAGS) $(KITSUNE_LIB) $(LDLIBS)
$(call kitsune-summary,$@.types.ktt,$@.types.so,$(3))
$(XFGEN) $(1).ktt $@.types.ktt $(2) -o $@.xf.c $(4)
$(XFGEN) --self $@.types.ktt $(2) -o $@.self.xf.c $(call kitsune-self-modules,$(4))
$(CC) $(KITSUNE_CFLAGS) $(KITSUNE_INCLUDE) $(CFLAGS) $(KITSUNE_XF_CFLAGS) -c $@.xf.c -o $@.xf.o
$(CC) $(KITSUNE_CFLAGS) $(KITSUNE_INCLUDE) $(CFLAGS) $(KITSUNE_XF_CFLAGS) -c $@.self.xf.c -o $@.self.xf.o
$(CC) -shared -o $@ $(filter %.o,$^) $@.xf.o $@.self.xf.o $(LDFLAGS) $(KITSUNE_LDFLAGS) $(KITSUNE_LIB) $(LDLIBS)
$(call kitsune-summary,$@.ktt,$@,$(3))
$(KITC) --embed $@.ktt $@
endef
