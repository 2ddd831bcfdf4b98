/* locals.c - finds the locals of E_NOTELOCALS functions in the parked main thread's
 * frames, so that the new version can MIGRATE_LOCAL them (and rules can name them).
 *
 * kitc writes, for each such local, the code ranges where its function is active and,
 * per range, where the compiler keeps it: at the frame's canonical frame address plus
 * N, at a register plus N, or in a callee-saved register (docs/ktt-format.md,
 * "Locals").  When the main thread stops at an update point, still on its own stack,
 * this walks its frames with the unwinder the compiler's unwind tables serve
 * (_Unwind_Backtrace), and notes each local of the innermost frame of its function:
 * its address (the frame stays intact until the commit), or a copy of the register
 * that holds it.  A local the plan needs that the compiler kept nowhere at that point
 * (optimised out) refuses the update, naming it: its value would otherwise be lost. */
#include "log.h"
#include "version.h"
#include "migrate.h"
#include "locals.h"
#include "kitsune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#define MAX_FRAMES 256

struct frame {
    uintptr_t pc;        /* inside the call that made the next frame */
    uintptr_t cfa;
    uintptr_t sp;        /* its stack pointer at that call: the CFA of the one it called */
    uintptr_t reg[16];   /* callee-saved registers (DWARF numbers), 0 elsewhere */
};

struct walk {
    struct frame f[MAX_FRAMES];
    int n;
    int full;            /* the frames could be walked out to the end of the stack */
};

static const int saved_regs[] = {3, 6, 12, 13, 14, 15}; /* rbx rbp r12-r15 */

static _Unwind_Reason_Code on_frame(struct _Unwind_Context *uc, void *arg)
{
    struct walk *w = arg;
    uintptr_t ip = _Unwind_GetIP(uc);
    if (!ip) /* the end of the stack */
        return _URC_NO_REASON;
    if (w->n == MAX_FRAMES) /* any other answer stops the walk, as not complete */
        return _URC_NORMAL_STOP;
    struct frame *f = &w->f[w->n];
    memset(f, 0, sizeof *f);
    f->pc = ip - 1;
    /* While a frame is visited the unwinder has not yet computed its CFA: what it
     * gives is the stack pointer of the frame at its call, the CFA of the one it
     * called.  A frame's own CFA is the next frame's value. */
    f->sp = _Unwind_GetCFA(uc);
    if (w->n)
        w->f[w->n - 1].cfa = f->sp;
    for (size_t i = 0; i < sizeof saved_regs / sizeof *saved_regs; i++)
        f->reg[saved_regs[i]] = _Unwind_GetGR(uc, saved_regs[i]);
    w->n++;
    return _URC_NO_REASON;
}

/* Whether pc (relative) lies in one of the ranges "LO-HI,..." (HI excluded). */
static int in_ranges(const char *s, uint64_t pc)
{
    while (s && *s) {
        char *end;
        uint64_t lo = strtoull(s, &end, 16), hi;
        if (*end != '-')
            return 0;
        hi = strtoull(end + 1, &end, 16);
        if (pc >= lo && pc < hi)
            return 1;
        s = strchr(end, ',');
        s = s ? s + 1 : NULL;
    }
    return 0;
}

/* The SPEC of the first entry "LO-HI:SPEC" of loc covering pc, copied into buf;
 * NULL when none does. */
static const char *spec_at(const char *loc, uint64_t pc, char *buf, size_t len)
{
    for (const char *s = loc; s && *s;) {
        char *end;
        uint64_t lo = strtoull(s, &end, 16), hi;
        if (*end != '-')
            return NULL;
        hi = strtoull(end + 1, &end, 16);
        if (*end != ':')
            return NULL;
        const char *spec = end + 1, *next = strchr(spec, ',');
        size_t n = next ? (size_t)(next - spec) : strlen(spec);
        if (pc >= lo && pc < hi && n < len) {
            memcpy(buf, spec, n);
            buf[n] = 0;
            return buf;
        }
        s = next ? next + 1 : NULL;
    }
    return NULL;
}

static int callee_saved(long r)
{
    for (size_t i = 0; i < sizeof saved_regs / sizeof *saved_regs; i++)
        if (saved_regs[i] == r)
            return 1;
    return 0;
}

/* Where local v of frame f is: its address, or (in a register) a copy of its value
 * in *copy.  Returns 0, -1 when it cannot be read there, -2 when it is relative to the
 * frame's CFA and the walk stopped at this frame (the CFA is not known). */
static int locate(const struct ktt_var *v, const struct frame *f, uint64_t pc, void **addr,
                  void **copy)
{
    char spec[64], *end;
    if (!spec_at(v->loc, pc, spec, sizeof spec))
        return -1;
    *copy = NULL;
    if (spec[0] == 'c') {
        if (!f->cfa)
            return -2;
        *addr = (void *)(f->cfa + (uintptr_t)strtoll(spec + 1, &end, 10));
        return 0;
    }
    long r = strtol(spec + 1, &end, 10);
    if (spec[0] == 'b' && (r == 7 || callee_saved(r))) {
        uintptr_t base = r == 7 ? f->sp : f->reg[r];
        if (!base)
            return -1;
        *addr = (void *)(base + (uintptr_t)strtoll(end, &end, 10));
        return 0;
    }
    if (spec[0] == 'r' && callee_saved(r) && v->size <= sizeof(uintptr_t)) {
        *copy = malloc(sizeof(uintptr_t));
        if (!*copy)
            return -1;
        memcpy(*copy, &f->reg[r], sizeof(uintptr_t));
        *addr = *copy;
        return 0;
    }
    return -1;
}

/* Splits key "func#name" into buffers; -1 when it is not a local's key. */
static int split_key(const char *key, char *func, size_t flen, const char **name)
{
    const char *hash = strchr(key, '#');
    if (!hash || (size_t)(hash - key) >= flen)
        return -1;
    memcpy(func, key, (size_t)(hash - key));
    func[hash - key] = 0;
    *name = hash + 1;
    return 0;
}

/* The function of version v that code address pc (relative) is in, or NULL. */
static const struct ktt_func *func_at(const struct kt_version *v, uint64_t pc)
{
    const struct ktt_func *best = NULL;
    for (int i = 0; i < v->ktt.nfuncs; i++) {
        const struct ktt_func *fn = &v->ktt.funcs[i];
        if (pc >= fn->addr && pc < fn->addr + fn->size)
            best = fn;
    }
    return best;
}

/* Whether the walk saw every frame: the unwinder reached the end of the stack, and not
 * merely a frame it has no unwind information for (it says "end of stack" there too),
 * which would be one of the program's (built without unwind tables). */
static int walked_out(const struct walk *w, const struct kt_version *v, int rc)
{
    if (rc != _URC_END_OF_STACK || w->n == 0)
        return 0;
    uintptr_t pc = w->f[w->n - 1].pc;
    return pc < v->base || !func_at(v, pc - v->base);
}

/* The function a frame is in, for a message: "main+0x1f". */
static void where(const struct kt_version *v, uint64_t pc, char *buf, size_t len)
{
    const struct ktt_func *best = func_at(v, pc);
    if (best)
        snprintf(buf, len, "%s+%#llx", best->key, (unsigned long long)(pc - best->addr));
    else
        snprintf(buf, len, "%#llx", (unsigned long long)pc);
}

int kt_locals_capture(const struct kt_version *v, const char *point, char *err, size_t errlen)
{
    int any = 0;
    for (int i = 0; i < v->ktt.nvars && !any; i++)
        any = (v->ktt.vars[i].flags & KTT_VAR_LOCAL) != 0;
    if (!any)
        return 0;
    struct walk *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory reading the main thread's frames");
        return -1;
    }
    w->full = walked_out(w, v, _Unwind_Backtrace(on_frame, w));
    int rc = 0, noted = 0;
    for (int i = 0; i < v->ktt.nvars && !rc; i++) {
        const struct ktt_var *lv = &v->ktt.vars[i];
        char func[256];
        const char *name;
        if (!(lv->flags & KTT_VAR_LOCAL) || split_key(lv->key, func, sizeof func, &name))
            continue;
        int seen = 0; /* the innermost frame of the function was found and read */
        for (int j = 0; j < w->n && !seen; j++) {
            uint64_t pc = w->f[j].pc - v->base;
            if (w->f[j].pc < v->base || !in_ranges(lv->frame, pc))
                continue;
            if (lv->scope && !in_ranges(lv->scope, pc)) {
                seen = 1; /* a block's local, and the block is not running: no value */
                break;
            }
            void *addr, *copy;
            int found = locate(lv, &w->f[j], pc, &addr, &copy);
            if (found == -2) /* the walk stopped at this frame */
                break;
            seen = 1;
            if (found == 0) {
                kt_locals_note_frame(func, name, addr, lv->size, copy);
                noted++;
            } else if (kt_migrate_needs_old(i)) {
                char at[300];
                where(v, pc, at, sizeof at);
                snprintf(err, errlen, "local %s is optimised out where %s is stopped (%s, "
                         "update point '%s'): its value cannot be read, and the new version "
                         "migrates it; build that code without optimisation, or keep the "
                         "local alive across the update point (take its address)",
                         lv->key, func, at, point);
                rc = -1;
            }
        }
        if (!seen && !w->full && kt_migrate_needs_old(i)) {
            /* Not seen, but the walk did not see every frame: it may be further up. */
            char at[300];
            where(v, w->n ? w->f[w->n - 1].pc - v->base : 0, at, sizeof at);
            snprintf(err, errlen, "local %s: the main thread's frames could not be walked "
                     "past %s (code without unwind tables?), so its value cannot be read; "
                     "build with -fasynchronous-unwind-tables", lv->key, at);
            rc = -1;
        }
    }
    free(w);
    if (rc)
        kt_locals_uncapture();
    else if (noted)
        kt_log("noted %d local(s) of E_NOTELOCALS functions in the main thread's frames",
               noted);
    return rc;
}
