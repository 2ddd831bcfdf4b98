/* migrate.c - carrying program state into the new version: kitsune_do_automigrate,
 * MIGRATE_*, noted locals, the key and address lookups, and the glue between the
 * planner (plan.c), the engine (xform.c) and the versions.
 *
 * The plan is computed when the request is checked, before the program pauses, so an
 * update that cannot be planned is refused without harm.  Variables are found by key
 * (docs/design.md §4) in the summaries embedded in both versions; nothing in the
 * program's source is rewritten. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fast.h"
#include "internal.h"
#include "plan.h"
#include "pstr.h"
#include "rules.h"
#include "xform.h"
#include "kitsune_xf.h"

void kt_closures_free(void);

static struct plan_ctx ctx;
static int ctx_ready;
static struct kt_rules rules;
static const struct kt_version *m_old, *m_new;
static uint8_t *var_done;          /* per plan var: migrated already */
static const struct plan_var **by_old_key; /* plan and constant vars by old key */
static int n_by_old_key;
static void **allocs;              /* new objects, freed on rollback */
static size_t nallocs, cap_allocs;
static long vars_migrated;
static kitsune_rule_fn *rule_table;    /* the new version's kitsune_xf_rules */
static int rules_self;                 /* the rules are its kitsune_xf_rules_self */
static int fast_ok;                    /* the plans allow the forwarding engine */
static char *fast_why;                 /* else why not (an allocation) */
static int use_fast;                   /* this update runs on the forwarding engine */
static char fast_refusal[KT_ERRLEN];   /* KITSUNE_ENGINE=fast could not be honoured */
static uintptr_t heap_lo, heap_hi;     /* the main malloc heap ([heap] in the maps) */
static void find_heap(void);

static void set_fast_why(char *why)
{
    free(fast_why);
    fast_why = why;
}

/* ---- what the transfer is working on (for the report of a fault) ---- */

const char *volatile kt_transfer_var;
const struct plan *volatile kt_transfer_plan;

static void transfer_at(const char *var)
{
    kt_transfer_var = var;
    kt_transfer_plan = NULL;
}

void kt_transfer_describe(char *buf, size_t len)
{
    const char *var = kt_transfer_var;
    const struct plan *p = kt_transfer_plan;
    if (!var && !p)
        return;
    kt_str_append(buf, len, " (");
    if (var) {
        kt_str_append(buf, len, "variable ");
        kt_str_append(buf, len, var);
    }
    if (p) {
        static const char *const kinds[] = {[KTT_STRUCT] = "struct ", [KTT_UNION] = "union ",
                                            [KTT_ENUM] = "enum "};
        kt_str_append(buf, len, var ? "; an object of " : "an object of ");
        if (p->old_kind >= 0 && p->old_kind <= KTT_ENUM && p->old_tag)
            kt_str_append(buf, len, kinds[p->old_kind]);
        kt_str_append(buf, len, p->old_tag ? p->old_tag : "an unnamed type");
        if (p->path) {
            kt_str_append(buf, len, ", first reached as ");
            kt_str_append(buf, len, p->path);
        }
    }
    kt_str_append(buf, len, ")");
}

/* The reason an update fails on pointer v to an object of plan p that does not lie
 * in readable memory (an uninitialised pointer, most likely). */
/* The last wild pointer refused, for the rollback to say where it is kept. */
static uintptr_t wild_value;
static const char *wild_why;

void kt_wild_pointer(char *buf, size_t len, uintptr_t v, const struct plan *p)
{
    const char *why = kt_maps_why(v, p && p->old_size ? p->old_size : 1);
    if (!why)
        why = "not in mapped memory";
    __atomic_store_n(&wild_why, why, __ATOMIC_RELAXED);
    __atomic_store_n(&wild_value, v, __ATOMIC_RELAXED);
    snprintf(buf, len, "a pointer to %#lx, ", (unsigned long)v);
    if (p && p->old_tag) {
        kt_str_append(buf, len, p->old_kind == KTT_STRUCT  ? "to struct "
                                : p->old_kind == KTT_UNION ? "to union "
                                                           : "to ");
        kt_str_append(buf, len, p->old_tag);
        kt_str_append(buf, len, ", ");
    }
    kt_str_append(buf, len, "is ");
    kt_str_append(buf, len, why);
    kt_str_append(buf, len, strcmp(why, "not an allocation") == 0
                                ? " (inside the heap, in no block malloc handed out: "
                                            "never initialised, or freed?)"
                                          : " (never initialised?)");
    if (p && p->path) {
        kt_str_append(buf, len, "; objects of its type are first reached as ");
        kt_str_append(buf, len, p->path);
    }
    kt_str_append(buf, len, "; initialise it, or mark it E_OPAQUE");
}

/* After a rollback caused by a wild pointer, with the old state back as it was and the
 * threads still parked: the reason is prefixed with where the old state keeps it,
 * "table[2]->next->next = 0x...: not an allocation; ". */
void kt_migrate_name_wild(const struct kt_version *old, char *reason, size_t len)
{
    uintptr_t v = wild_value;
    wild_value = 0;
    char path[1024];
    if (!v || !old || kt_check_find_path(old, v, path, sizeof path))
        return;
    char *rest = strdup(reason);
    if (!rest)
        return;
    snprintf(reason, len, "%s = %#lx: %s; %s", path, (unsigned long)v, wild_why, rest);
    free(rest);
}

/* ---- planning (before the pause) ---- */

static void format_diags(const struct plan_ctx *c, char *err, size_t errlen)
{
    size_t used = (size_t)snprintf(err, errlen, "the new version needs rules for %d item(s) "
                                   "(run xfgen): ", c->ndiags);
    for (int i = 0; i < c->ndiags && used < errlen; i++)
        used += (size_t)snprintf(err + used, errlen - used, "%s%s: %s", i ? "; " : "",
                                 c->diags[i].path, c->diags[i].what);
}

static int is_constant_old(int old_var)
{
    for (int i = 0; i < ctx.nconstants; i++)
        if (ctx.constants[i].old_var == old_var)
            return 1;
    return 0;
}

/* Says what becomes of variables that are constant data in the new version although
 * they were state before, or that a rule targets: the new version's own data wins. */
static void log_constants(const struct kt_version *old, const struct kt_version *nv)
{
    for (int i = 0; i < ctx.nconstants; i++) {
        const struct ktt_var *ov = &old->ktt.vars[ctx.constants[i].old_var];
        const struct ktt_var *v = &nv->ktt.vars[ctx.constants[i].new_var];
        if (plan_var_migrates(ov))
            kt_log("variable %s is constant data in the new version (nothing writes it): "
                   "its old value is not carried over", v->key);
        for (int r = 0; r < rules.n; r++)
            if ((rules.v[r].kind == RULE_VAR || rules.v[r].kind == RULE_INIT_VAR) &&
                rules.v[r].to && strcmp(rules.v[r].to, v->key) == 0)
                kt_log("variable %s is constant data in the new version: its rule is not run",
                       v->key);
    }
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Rules written for one release say nothing about an update from another: planning
 * without them could commit state the rules were meant to convert. */
static void refuse_other_release(const struct kt_version *old, const struct kt_version *nv,
                                 char *err, size_t errlen)
{
    const char *against = rules.old_object ? rules.old_object : "another version";
    const char *running = base_name(old->path);
    /* The same file name: the running program is another build of that release. */
    int rebuilt = strcmp(against, running) == 0;
    snprintf(err, errlen, "%s: its rules were generated against the summary %016llx (%s), "
             "but the running version %s has the summary %016llx; %s%s%s generate the "
             "rules again with xfgen against the running version's summary",
             base_name(nv->path), (unsigned long long)rules.old_fingerprint, against,
             running, (unsigned long long)old->fingerprint,
             rebuilt ? "it is another build of that release:" : "update through ",
             rebuilt ? "" : against, rebuilt ? "" : " first, or");
}

/* Planned again with other flags (PLAN_RULES_IN_PLACE or none): the plans differ only
 * in modes, so what was decided (diagnostics, rules used) holds. */
static int replan(const struct kt_version *old, const struct kt_version *nv, int flags,
                  char *err, size_t errlen)
{
    plan_free(&ctx);
    if (plan_build_flags(&ctx, &old->ktt, &nv->ktt, rules.v, rules.n, flags) ||
        kt_fptr_check(&ctx, old, nv, err, errlen)) {
        if (ctx.ndiags)
            format_diags(&ctx, err, errlen);
        plan_free(&ctx);
        kt_rules_free(&rules);
        ctx_ready = 0;
        return -1;
    }
    return 0;
}

static int rebuilt_types(void)
{
    int n = 0;
    for (const struct plan *p = ctx.plans; p; p = p->next)
        n += p->mode == PLAN_REBUILD;
    return n;
}

/* The general engine runs field rules of unchanged layouts on the objects themselves
 * (PLAN_RULES_IN_PLACE): such objects are fixed in place, not rebuilt, and what points
 * to them needs no new address.  The forwarding engine cannot, so where that spares
 * rebuilding a type (a redis value whose rule only follows its pointer: 200K objects
 * not allocated again), the general engine is chosen even when the forwarding engine
 * could run the update.  KITSUNE_ENGINE=fast keeps the forwarding engine's plans. */
static int choose_rules_in_place(const struct kt_version *old, const struct kt_version *nv,
                                 char *err, size_t errlen)
{
    const char *engine = getenv("KITSUNE_ENGINE");
    if (engine && strcmp(engine, "fast") == 0)
        return 0; /* the forwarding engine's plans, or its refusal */
    int general_forced = engine && strcmp(engine, "general") == 0;
    if (fast_ok && !general_forced && rules.n == 0)
        return 0; /* no rule to run in place */
    int rebuilt = rebuilt_types();
    if (replan(old, nv, PLAN_RULES_IN_PLACE, err, errlen))
        return -1;
    if (!fast_ok || general_forced)
        return 0;
    int spared = rebuilt - rebuilt_types();
    if (spared > 0) {
        fast_ok = 0;
        set_fast_why(pstr_fmt("field rules run in place on %d type(s) the forwarding "
                              "engine would rebuild", spared));
        return 0;
    }
    return replan(old, nv, 0, err, errlen);
}

/* Which types the engine visits and why (the log file), and how many (the log). */
static void log_visited(const struct kt_version *old)
{
    int fixed = 0, rebuilt = 0;
    for (const struct plan *p = ctx.plans; p; p = p->next) {
        if (p->mode == PLAN_CLEAN || p->ptrs > 0 || p->old_type < 0 ||
            !old->ktt.types[p->old_type].name)
            continue; /* arrays and pointer slots: their element types are listed */
        char *name = ktt_type_name_alloc(&old->ktt, p->old_type);
        char *why = plan_why_visited(&ctx, p);
        kitsune_log("plan: %s %s%s%s: %s", p->mode == PLAN_REBUILD ? "rebuilt" : "visited",
                    name, p->env ? " with " : "", p->env ? p->env : "", why);
        free(name);
        free(why);
        if (p->mode == PLAN_REBUILD)
            rebuilt++;
        else
            fixed++;
    }
    kt_log("plan: %d type(s) visited in place, %d rebuilt (why: the log file)", fixed,
           rebuilt);
}

int kt_migrate_check(const struct kt_version *old, const struct kt_version *nv, char *err,
                     size_t errlen)
{
    if (ctx_ready) {
        plan_free(&ctx);
        kt_rules_free(&rules);
        ctx_ready = 0;
    }
    int stale = 0;
    /* Updating a version from itself (the running summary is the new version's own):
     * the rules it carries for that, generated with xfgen --self. */
    rules_self = nv->xf_self_text && nv->fingerprint == old->fingerprint;
    const char *xf_text = rules_self ? nv->xf_self_text : nv->xf_text;
    if (xf_text) {
        char e2[KT_ERRLEN];
        if (kt_rules_parse(xf_text, &rules, e2, sizeof e2)) {
            snprintf(err, errlen, "%s: %s", nv->path, e2);
            return -1;
        }
        if (rules_self) /* written against the version itself, which is running */
            rules.old_fingerprint = old->fingerprint;
        if (rules.old_fingerprint != old->fingerprint) {
            if (rules.n > 0 && nv->fingerprint != old->fingerprint) {
                refuse_other_release(old, nv, err, errlen);
                kt_rules_free(&rules);
                return -1;
            }
            /* The same program again (v -> v), or a version that needs no rules:
             * planned without them, as from any other version. */
            stale = rules.n > 0;
            kt_rules_free(&rules);
        }
    }
    if (plan_build_flags(&ctx, &old->ktt, &nv->ktt, rules.v, rules.n, 0)) {
        format_diags(&ctx, err, errlen);
        if (stale) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (the new version's transformers were "
                     "generated for a different old version)");
        }
        plan_free(&ctx);
        kt_rules_free(&rules);
        return -1;
    }
    if (kt_fptr_check(&ctx, old, nv, err, errlen)) {
        plan_free(&ctx);
        kt_rules_free(&rules);
        return -1;
    }
    ctx_ready = 1;
    char *why;
    fast_ok = plan_fast_eligible(&ctx, rules.v, rules.n, &why);
    set_fast_why(why);
    if (choose_rules_in_place(old, nv, err, errlen))
        return -1;
    log_visited(old);
    for (int i = plan_dropped_var(&ctx, 0); i >= 0; i = plan_dropped_var(&ctx, i + 1))
        if (!is_constant_old(i))
            kt_log("variable %s is not in the new version: its state is dropped",
                   old->ktt.vars[i].key);
    log_constants(old, nv); /* and those that are, as constant data */
    return 0;
}

static int cmp_old_key(const void *a, const void *b)
{
    const struct plan_var *x = *(const struct plan_var *const *)a;
    const struct plan_var *y = *(const struct plan_var *const *)b;
    return strcmp(m_old->ktt.vars[x->old_var].key, m_old->ktt.vars[y->old_var].key);
}

int kt_migrate_begin(struct kt_version *old, struct kt_version *nv, char *err, size_t errlen)
{
    if (!ctx_ready && kt_migrate_check(old, nv, err, errlen))
        return -1;
    m_old = old;
    m_new = nv;
    if (kt_maps_snapshot() < 0) /* every thread is parked: what the state can point to */
        kt_oom("indexing the heap");
    wild_value = 0;
    var_done = calloc((size_t)ctx.nvars + 1, 1);
    by_old_key = calloc((size_t)(ctx.nvars + ctx.nconstants) + 1, sizeof *by_old_key);
    n_by_old_key = 0;
    for (int i = 0; i < ctx.nvars; i++)
        if (ctx.vars[i].old_var >= 0)
            by_old_key[n_by_old_key++] = &ctx.vars[i];
    for (int i = 0; i < ctx.nconstants; i++)
        by_old_key[n_by_old_key++] = &ctx.constants[i];
    qsort(by_old_key, (size_t)n_by_old_key, sizeof *by_old_key, cmp_old_key);
    vars_migrated = 0;
    transfer_at(NULL);
    rule_table = kt_version_var_addr(nv, "kitsune_xf_rules");
    struct kt_xf_env env = {old, nv};
    if (rules_self)
        rule_table = kt_version_var_addr(nv, "kitsune_xf_rules_self");
    kt_xf_engine_begin(&env);
    use_fast = 0;
    fast_refusal[0] = '\0';
    const char *engine = getenv("KITSUNE_ENGINE");
    if (engine && strcmp(engine, "general") == 0) {
        kt_log("engine: general (KITSUNE_ENGINE=general)");
    } else if (!fast_ok && engine && strcmp(engine, "fast") == 0) {
        /* Tests ask for the forwarding engine to see that it runs, or why not: the
         * first batch fails (a failure here would come before the locals are flipped). */
        snprintf(fast_refusal, sizeof fast_refusal, "KITSUNE_ENGINE=fast, but this update "
                 "needs the general engine: %s", fast_why);
    } else if (!fast_ok) {
        kt_log("engine: general, not the forwarding engine: %s", fast_why);
    } else {
        int threads = kt_fast_threads();
        use_fast = kt_fast_begin(&env, &ctx, rule_table, rules.v, rules.n, threads) == 0;
        if (use_fast)
            kt_log("engine: forwarding, %d thread(s)", threads);
    }
    return 0;
}

/* ---- hooks for the engine ---- */

void kt_xf_track_alloc(void *p)
{
    if (nallocs == cap_allocs) {
        cap_allocs = cap_allocs ? cap_allocs * 2 : 1024;
        void **n = realloc(allocs, cap_allocs * sizeof *n);
        if (!n)
            kt_oom("in the transfer");
        allocs = n;
    }
    allocs[nallocs++] = p;
}

void *kt_xf_new_func(const char *old_key)
{
    return kt_version_func_addr(m_new, plan_func_target(&ctx, old_key));
}

static const struct plan_var *var_by_old_key(const char *key)
{
    int lo = 0, hi = n_by_old_key - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const struct plan_var *pv = by_old_key[mid];
        int c = strcmp(m_old->ktt.vars[pv->old_var].key, key);
        if (c == 0)
            return pv;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

char *kt_xf_new_var(const char *old_key, struct plan **plan)
{
    const struct plan_var *pv = var_by_old_key(old_key);
    if (!pv)
        return NULL;
    *plan = pv->plan;
    return (char *)(m_new->base + m_new->ktt.vars[pv->new_var].addr);
}

void kt_xf_run_failed(const char *msg)
{
    if (use_fast)
        kt_fast_fail(msg);
    else
        kt_update_fail("%s", msg);
}

void kt_xf_run_rule(int rule, const void *in, void *out, const void *old_base, void *new_base)
{
    kitsune_rule_fn *table = rule_table;
    if (rule < 0 || rule >= rules.n || !table || !table[rule]) {
        char msg[100];
        snprintf(msg, sizeof msg, "rule %d has no generated code in the new version", rule);
        kt_xf_run_failed(msg);
        return;
    }
    enum rule_kind k = rules.v[rule].kind;
    if (k == RULE_INIT_VAR || k == RULE_INIT_FIELD)
        in = NULL;
    table[rule](in, out, old_base, new_base);
}

const struct plan *kt_migrate_binding(const char *env, const char *name, int *opaque)
{
    return plan_binding(&ctx, env, name, opaque);
}

const struct plan *kt_migrate_plan_for_names(const char *old_type, const char *new_type,
                                             const char *args, const char *env)
{
    return plan_for_names_args(&ctx, old_type, new_type, args, env);
}

/* ---- migrating variables ---- */

/* The new local being migrated by MIGRATE_LOCAL (its address is only known then). */
static void *local_target;

/* An old local of an E_NOTELOCALS function, as found in the main thread's frames when
 * it stopped (locals.c); NULL when its function was not running. */
static char *old_local(const struct ktt_var *v)
{
    const char *hash = strchr(v->key, '#');
    char func[256];
    size_t size;
    if (!hash || (size_t)(hash - v->key) >= sizeof func)
        return NULL;
    memcpy(func, v->key, (size_t)(hash - v->key));
    func[hash - v->key] = 0;
    return kt_locals_find_old(func, hash + 1, &size);
}

static char *old_addr(const struct plan_var *pv)
{
    const struct ktt_var *v = &m_old->ktt.vars[pv->old_var];
    if (v->flags & KTT_VAR_LOCAL)
        return old_local(v);
    return (char *)(m_old->base + v->addr);
}

static char *new_addr(const struct plan_var *pv)
{
    const struct ktt_var *v = &m_new->ktt.vars[pv->new_var];
    if (v->flags & KTT_VAR_LOCAL)
        return local_target;
    return (char *)(m_new->base + v->addr);
}

int kt_migrate_needs_old(int old_var)
{
    for (int i = 0; ctx_ready && i < ctx.nvars; i++)
        if (ctx.vars[i].old_var == old_var)
            return 1;
    return 0;
}

/* Whether kitsune_do_automigrate fills plan variable pv: not a local (MIGRATE_LOCAL
 * does, in its frame), and not from an old local whose function was not running (there
 * is no old value: the variable keeps its initial one, as in Kitsune). */
static int automigrated(const struct plan_var *pv)
{
    if (m_new->ktt.vars[pv->new_var].flags & KTT_VAR_LOCAL)
        return 0;
    if (pv->old_var >= 0 && !old_addr(pv)) {
        kt_log("variable %s: %s was not in a running function at the update point; it "
               "keeps its initial value", m_new->ktt.vars[pv->new_var].key,
               m_old->ktt.vars[pv->old_var].key);
        return 0;
    }
    return 1;
}

/* Fills the new variables of a batch from the old ones, by their rule or their plan. */
static void fill_vars(const int *idx, int n)
{
    for (int i = 0; i < n; i++) {
        const struct plan_var *pv = &ctx.vars[idx[i]];
        size_t size = m_new->ktt.vars[pv->new_var].size;
        transfer_at(m_new->ktt.vars[pv->new_var].key);
        if (pv->rule >= 0)
            kt_xf_run_rule(pv->rule, pv->old_var >= 0 ? old_addr(pv) : NULL, new_addr(pv),
                           NULL, NULL);
        else if (use_fast)
            kt_fast_root(pv->plan, old_addr(pv), new_addr(pv), size);
        else
            kt_xf_apply_root(pv->plan, old_addr(pv), new_addr(pv), size);
        var_done[idx[i]] = 1;
        vars_migrated++;
    }
}

static const char *engine_error(void)
{
    if (fast_refusal[0])
        return fast_refusal;
    return use_fast ? kt_fast_error() : kt_xf_error();
}

/* Migrates the plan variables in `idx` as one batch. */
static int run_batch(const int *idx, int n)
{
    if (fast_refusal[0])
        return -1;
    if (use_fast) {
        /* What the variables lead to is transformed while the work stack drains. */
        fill_vars(idx, n);
        transfer_at(NULL);
        return kt_fast_drain();
    }
    /* The general engine first finds every object the batch reaches. */
    for (int i = 0; i < n; i++) {
        const struct plan_var *pv = &ctx.vars[idx[i]];
        transfer_at(m_new->ktt.vars[pv->new_var].key);
        if (pv->old_var >= 0 && pv->rule < 0)
            kt_xf_root(pv->plan, old_addr(pv));
    }
    transfer_at(NULL);
    if (kt_xf_settle())
        return -1;
    fill_vars(idx, n);
    transfer_at(NULL);
    return kt_xf_finish_batch();
}

/* A batch, timed for the watchdog (the engines' time is not the new version's). */
static int migrate_batch(const int *idx, int n)
{
    kt_update_engine_timing(1);
    int rc = run_batch(idx, n);
    kt_update_engine_timing(0);
    transfer_at(NULL); /* a fault from here on is not the transfer's */
    return rc;
}

int kitsune_do_automigrate(void)
{
    if (!kt_updating())
        return 0;
    int *idx = malloc(((size_t)ctx.nvars + 1) * sizeof *idx);
    int n = 0;
    for (int i = 0; i < ctx.nvars; i++)
        if (!var_done[i] && (ctx.vars[i].old_var >= 0 || ctx.vars[i].rule >= 0) &&
            automigrated(&ctx.vars[i]))
            idx[n++] = i;
    int rc = migrate_batch(idx, n);
    free(idx);
    if (rc)
        kt_update_fail("%s", engine_error());
    /* Test faults after the whole state was transferred (and fixed in place). */
    if (kt_fault_injected("migrate"))
        kt_update_fail("injected fault: migrate");
    if (kt_fault_injected("segv"))
        raise(SIGSEGV);
    kt_log("migrated %d variable(s)", n);
    return n;
}

/* ---- thread arguments ----
 *
 * KITSUNE_THREAD_ARG(fn, T) declares the file static `kitsune_thread_arg__fn` of type
 * T *: an ordinary migrated variable (always NULL), so its pointer type is planned with
 * every other one, and xfgen asks for the rules it needs.  A thread started with
 * start function fn has its argument migrated by that plan, as if the argument were
 * the variable's value. */

#define THREAD_ARG_PREFIX "kitsune_thread_arg__"

/* The plan variable declaring the argument type of start function `start_key` (an old
 * function key, "name" or "file/name"); NULL when the program names none. */
static const struct plan_var *thread_arg_var(const char *start_key)
{
    const char *slash = strrchr(start_key, '/');
    const char *fname = slash ? slash + 1 : start_key;
    size_t flen = slash ? (size_t)(slash - start_key) : 0, plen = strlen(THREAD_ARG_PREFIX);
    const struct plan_var *any = NULL;
    for (int i = 0; i < ctx.nvars; i++) {
        const struct plan_var *pv = &ctx.vars[i];
        if (pv->old_var < 0 || pv->new_var < 0 || !pv->plan)
            continue;
        const char *key = m_old->ktt.vars[pv->old_var].key, *ks = strrchr(key, '/');
        const char *vname = ks ? ks + 1 : key;
        if (strncmp(vname, THREAD_ARG_PREFIX, plen) != 0 || strcmp(vname + plen, fname) != 0)
            continue;
        /* A static start function is annotated in its own file. */
        if (slash && ks && (size_t)(ks - key) == flen && strncmp(key, start_key, flen) == 0)
            return pv;
        if (!slash)
            any = pv;
    }
    return any;
}

int kt_migrate_thread_args(const char *const *start_keys, void *const *args, void **new_args,
                           int *typed, int n)
{
    int *idx = malloc(((size_t)n + 1) * sizeof *idx);
    const struct plan **plans = malloc(((size_t)n + 1) * sizeof *plans);
    if (!idx || !plans) {
        free(idx);
        free(plans);
        kt_update_fail("out of memory migrating thread arguments");
        return -1;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        const struct plan_var *pv = args[i] ? thread_arg_var(start_keys[i]) : NULL;
        typed[i] = pv != NULL;
        if (pv) {
            plans[m] = pv->plan;
            idx[m++] = i;
        } else if (args[i]) {
            kt_log("thread %s: argument %p has no declared type (KITSUNE_THREAD_ARG): "
                   "only its address is translated", start_keys[i], args[i]);
        }
    }
    int rc = 0;
    if (m > 0) {
        kt_update_engine_timing(1);
        if (fast_refusal[0]) {
            rc = -1;
        } else if (use_fast) {
            for (int j = 0; j < m; j++)
                kt_fast_root(plans[j], (const char *)&args[idx[j]], (char *)&new_args[idx[j]],
                             sizeof(void *));
            rc = kt_fast_drain();
        } else {
            for (int j = 0; j < m; j++)
                kt_xf_root(plans[j], (const char *)&args[idx[j]]);
            rc = kt_xf_settle();
            for (int j = 0; j < m && !rc; j++)
                kt_xf_apply_root(plans[j], (const char *)&args[idx[j]],
                                 (char *)&new_args[idx[j]], sizeof(void *));
            if (!rc)
                rc = kt_xf_finish_batch();
        }
        kt_update_engine_timing(0);
    }
    free(idx);
    free(plans);
    if (rc)
        kt_update_fail("thread argument: %s", engine_error());
    return rc;
}

/* Does `file` (as __FILE__ or as written in GET_OLD_STATIC) name the key's file part? */
static int file_matches(const char *key_file, size_t klen, const char *file)
{
    size_t flen = strlen(file);
    if (flen == klen)
        return strncmp(file, key_file, klen) == 0;
    if (flen > klen)
        return file[flen - klen - 1] == '/' && strncmp(file + flen - klen, key_file, klen) == 0;
    return key_file[klen - flen - 1] == '/' && strncmp(key_file + klen - flen, file, flen) == 0;
}

/* Finds a variable of summary k by its parts; returns its index or -1. */
static int find_var(const struct ktt *k, const char *name, const char *func, const char *file)
{
    if (!file && !func) {
        const struct ktt_var *v = ktt_find_var(k, name);
        return v ? (int)(v - k->vars) : -1;
    }
    for (int i = 0; i < k->nvars; i++) {
        const char *key = k->vars[i].key;
        const char *slash = strrchr(key, '/');
        if (!slash)
            continue;
        const char *hash = strchr(slash, '#');
        const char *vname = hash ? hash + 1 : slash + 1;
        if (strcmp(vname, name) != 0)
            continue;
        if (func && (!hash || strncmp(slash + 1, func, (size_t)(hash - slash - 1)) != 0 ||
                     strlen(func) != (size_t)(hash - slash - 1)))
            continue;
        if (!func && hash)
            continue;
        if (file && !file_matches(key, (size_t)(slash - key), file))
            continue;
        return i;
    }
    return -1;
}

static void *find_func(const struct kt_version *v, const char *name, const char *file)
{
    if (!file)
        return kt_version_func_addr(v, name);
    for (int i = 0; i < v->ktt.nfuncs; i++) {
        const char *key = v->ktt.funcs[i].key, *slash = strrchr(key, '/');
        if (slash && strcmp(slash + 1, name) == 0 &&
            file_matches(key, (size_t)(slash - key), file))
            return (void *)(v->base + v->ktt.funcs[i].addr);
    }
    return NULL;
}

static int migrate_noted(const char *name, const char *func, const char *file, void *addr,
                         size_t size);

/* A transformer the program wrote by hand for this variable, named as Kitsune's
 * GLOBAL_XFORM / STATIC_XFORM / LOCAL_XFORM / LOCAL_STATIC_XFORM spell it: the
 * file's base name with every character outside [A-Za-z0-9] written as `_`. */
static void (*hand_xform(const char *name, const char *func, const char *file))(void *)
{
    char sym[512];
    size_t n = (size_t)snprintf(sym, sizeof sym, "_kitsune_transform_");
    if (file) {
        const char *base = strrchr(file, '/');
        for (const char *c = base ? base + 1 : file; *c && n + 1 < sizeof sym; c++)
            sym[n++] = isalnum((unsigned char)*c) ? *c : '_';
        sym[n] = 0;
        n += (size_t)snprintf(sym + n, sizeof sym - n, "___file___");
    }
    if (func && n < sizeof sym)
        n += (size_t)snprintf(sym + n, sizeof sym - n, "%s___func___", func);
    if (n < sizeof sym)
        n += (size_t)snprintf(sym + n, sizeof sym - n, "%s", name);
    if (n >= sizeof sym)
        return NULL;
    void *f = kt_version_func_addr(kt_rt.cur, sym);
    void (*fn)(void *);
    memcpy(&fn, &f, sizeof fn);
    return f ? fn : NULL;
}

/* MIGRATE_LOCAL of a local the new summary lists (an E_NOTELOCALS function): by its
 * plan or rule, from the old local or whatever a rule names.  -1 when the summary does
 * not list it, or nothing in the plan fills it (then NOTE_LOCAL's notes may). */
static int migrate_summary_local(const char *name, const char *func, void *addr, size_t size)
{
    char key[512];
    if (!kt_updating() || (size_t)snprintf(key, sizeof key, "%s#%s", func, name) >= sizeof key)
        return -1;
    const struct ktt_var *nv = ktt_find_var(&m_new->ktt, key);
    if (!nv || !(nv->flags & KTT_VAR_LOCAL))
        return -1;
    for (int i = 0; i < ctx.nvars; i++) {
        const struct plan_var *pv = &ctx.vars[i];
        if (&m_new->ktt.vars[pv->new_var] != nv)
            continue;
        if (pv->old_var < 0 && pv->rule < 0)
            return -1;
        if (pv->old_var >= 0 && !old_addr(pv))
            return 0; /* its old function was not running: nothing to carry over */
        if (nv->size != size)
            kt_update_fail("MIGRATE_LOCAL(%s) in %s: %zu bytes, but the summary says %zu",
                           name, func, size, nv->size);
        local_target = addr;
        int rc = migrate_batch(&i, 1);
        local_target = NULL;
        if (rc)
            kt_update_fail("%s", engine_error());
        return 1;
    }
    return -1;
}

int kitsune_migrate_var(const char *name, const char *func, const char *file, void *addr,
                        size_t size)
{
    if (kitsune_is_updating()) { /* Kitsune's hand-written transformer, if any */
        void (*xf)(void *) = hand_xform(name, func, file);
        if (xf) {
            xf(addr);
            return 1;
        }
    }
    if (func && !file) {
        /* Locals are per thread: a restarted thread migrates its own until it is back
         * at the point it left from. */
        if (!kitsune_is_updating())
            return 0;
        int done = migrate_summary_local(name, func, addr, size);
        if (done >= 0)
            return done;
        size_t old_size;
        void *old = kt_locals_find_old(func, name, &old_size);
        if (!old)
            return 0;
        if (old_size != size)
            kt_update_fail("local %s#%s changed size from %zu to %zu; migrate it by hand",
                           func, name, old_size, size);
        memcpy(addr, old, size);
        return 1;
    }
    if (!kt_updating())
        return 0;
    int nv = find_var(&m_new->ktt, name, func, file);
    if (nv < 0)
        return migrate_noted(name, func, file, addr, size);
    if (plan_var_constant(&m_new->ktt.vars[nv]))
        return 0; /* the new version's own constant data (maybe in read-only memory) */
    for (int i = 0; i < ctx.nvars; i++) {
        if (ctx.vars[i].new_var != nv)
            continue;
        if (ctx.vars[i].old_var < 0 && ctx.vars[i].rule < 0)
            return 0;
        if (!var_done[i] && migrate_batch(&i, 1))
            kt_update_fail("%s", engine_error());
        return 1;
    }
    /* Not an automigrated variable (E_MANUAL_MIGRATE): copy it when the type allows. */
    int ov = find_var(&m_old->ktt, name, func, file);
    if (ov < 0)
        return 0;
    struct plan_ctx one;
    memset(&one, 0, sizeof one);
    one.old = &m_old->ktt;
    one.new_ = &m_new->ktt;
    const struct ktt_var *o = &m_old->ktt.vars[ov];
    if (o->size != size)
        kt_update_fail("variable %s changed size; give it a rule", o->key);
    memcpy(addr, (void *)(m_old->base + o->addr), size);
    return 1;
}

/* ---- after the update ---- */

struct free_list {
    void **ptrs;
    size_t n;
};

static struct free_list pending_free;

static void find_heap(void)
{
    FILE *f = kt_proc_fopen("maps");
    char line[512];
    heap_lo = heap_hi = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, "[heap]")) {
            unsigned long lo, hi;
            if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
                heap_lo = lo;
                heap_hi = hi;
            }
        }
    }
    if (f)
        fclose(f);
}

void kt_migrate_heap_range(uintptr_t *lo, uintptr_t *hi)
{
    find_heap();
    *lo = heap_lo;
    *hi = heap_hi;
}

/* Only blocks of the main malloc heap are freed; an object elsewhere (a custom
 * allocator's arena, another thread's stack) is left alone rather than risk it. */
static void queue_free(void *p)
{
    if ((uintptr_t)p < heap_lo || (uintptr_t)p >= heap_hi)
        return;
    if (pending_free.n % 4096 == 0) {
        void **n = realloc(pending_free.ptrs, (pending_free.n + 4096) * sizeof *n);
        if (!n)
            return;
        pending_free.ptrs = n;
    }
    pending_free.ptrs[pending_free.n++] = p;
}

static void *free_in_background(void *arg)
{
    struct free_list *l = arg;
    for (size_t i = 0; i < l->n; i++)
        free(l->ptrs[i]);
    free(l->ptrs);
    free(l);
    return NULL;
}

void kt_migrate_counts(long *vars, long *objects, long *fixed)
{
    *vars = vars_migrated;
    if (use_fast)
        kt_fast_counts(objects, fixed);
    else
        kt_xf_counts(objects, fixed);
}

/* The function renames of the last committed update (old key, new key), kept for
 * kt_stale_add: a call through a pointer nobody remapped finds the renamed function. */
static char **renamed;
static int nrenamed;

void kt_migrate_keep_renames(void)
{
    for (int i = 0; i < 2 * nrenamed; i++)
        free(renamed[i]);
    free(renamed);
    renamed = calloc((size_t)ctx.nfn_renames * 2 + 1, sizeof *renamed);
    nrenamed = 0;
    for (int i = 0; renamed && i < ctx.nfn_renames; i++) {
        const struct plan_rule *r = &ctx.rules[ctx.fn_renames[i]];
        renamed[2 * nrenamed] = strdup(r->from);
        renamed[2 * nrenamed + 1] = strdup(r->to);
        if (renamed[2 * nrenamed] && renamed[2 * nrenamed + 1])
            nrenamed++;
    }
}

const char *kt_migrate_successor(const char *old_key)
{
    for (int i = 0; i < nrenamed; i++)
        if (strcmp(renamed[2 * i], old_key) == 0)
            return renamed[2 * i + 1];
    return old_key;
}

void kt_migrate_end(int committed)
{
    kt_maps_snapshot_free();
    if (use_fast) {
        /* The forwarding engine frees what it replaced itself (in the background). */
        if (committed)
            find_heap();
        kt_fast_end(committed, heap_lo, heap_hi);
        kt_xf_engine_end(committed, NULL);
        use_fast = 0;
    } else if (committed) {
        find_heap();
        kt_xf_engine_end(1, queue_free);
        /* Freeing old objects need not block the program: a thread does it. */
        if (pending_free.n) {
            struct free_list *l = malloc(sizeof *l);
            pthread_t t;
            pthread_attr_t a;
            pthread_attr_init(&a);
            pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
            if (l) {
                *l = pending_free;
                if (pthread_create(&t, &a, free_in_background, l) != 0)
                    free_in_background(l);
            }
            pthread_attr_destroy(&a);
        }
        memset(&pending_free, 0, sizeof pending_free);
    } else {
        kt_xf_engine_end(0, NULL);
        for (size_t i = 0; i < nallocs; i++)
            free(allocs[i]);
    }
    rule_table = NULL;
    free(allocs);
    allocs = NULL;
    nallocs = cap_allocs = 0;
    free(var_done);
    var_done = NULL;
    free(by_old_key);
    by_old_key = NULL;
    if (ctx_ready && committed)
        kt_migrate_keep_renames();
    if (ctx_ready)
        plan_free(&ctx);
    kt_rules_free(&rules);
    kt_closures_free();
    ctx_ready = 0;
}

/* ---- noted locals ---- */

struct note {
    const char *func, *name; /* NULL name: a frame marker from ENTER_FUNC */
    void *addr;
    size_t size;
    void *copy;              /* saved bytes once the frame is gone */
    int from_frame;          /* found in a frame at the update point (locals.c): func
                                and name are owned, and it goes on a rollback */
};

struct notes {
    struct note *v;
    int n, cap;
};

static __thread struct notes cur_notes, old_notes;

#define NOTED_STATIC "#static"

static void notes_free(struct notes *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->v[i].copy);
        if (l->v[i].from_frame || (l->v[i].func && strcmp(l->v[i].func, NOTED_STATIC) == 0))
            free((char *)l->v[i].name);
        if (l->v[i].from_frame)
            free((char *)l->v[i].func);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void notes_push(struct notes *l, struct note n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        struct note *v = realloc(l->v, (size_t)l->cap * sizeof *v);
        if (!v)
            kt_oom("in the transfer");
        l->v = v;
    }
    l->v[l->n++] = n;
}

void kitsune_enter_func(const char *func)
{
    notes_push(&cur_notes, (struct note){func, NULL, NULL, 0, NULL, 0});
}

void kitsune_exit_func(const char *func)
{
    while (cur_notes.n > 0) {
        struct note *n = &cur_notes.v[--cur_notes.n];
        free(n->copy);
        if (strcmp(n->func, NOTED_STATIC) == 0)
            free((char *)n->name);
        if (!n->name && strcmp(n->func, func) == 0)
            break;
    }
}

void kitsune_note_local(const char *func, const char *name, void *addr, size_t size)
{
    for (int i = cur_notes.n - 1; i >= 0 && cur_notes.v[i].name; i--)
        if (strcmp(cur_notes.v[i].func, func) == 0 && strcmp(cur_notes.v[i].name, name) == 0) {
            cur_notes.v[i].addr = addr;
            cur_notes.v[i].size = size;
            return;
        }
    notes_push(&cur_notes, (struct note){func, name, addr, size, NULL, 0});
}

void kt_locals_note_frame(const char *func, const char *name, void *addr, size_t size,
                          void *copy)
{
    char *f = strdup(func), *n = strdup(name);
    if (!f || !n)
        kt_oom("noting locals");
    notes_push(&cur_notes, (struct note){f, n, addr, size, copy, 1});
}

/* The notes taken from the frames go: the old version goes on, and its locals with it. */
void kt_locals_uncapture(void)
{
    int w = 0;
    for (int i = 0; i < cur_notes.n; i++) {
        struct note *n = &cur_notes.v[i];
        if (n->from_frame) {
            free(n->copy);
            free((char *)n->func);
            free((char *)n->name);
        } else {
            cur_notes.v[w++] = *n;
        }
    }
    cur_notes.n = w;
}

void kt_locals_flip(void)
{
    notes_free(&old_notes);
    old_notes = cur_notes;
    memset(&cur_notes, 0, sizeof cur_notes);
}

void kt_locals_unflip(void)
{
    notes_free(&cur_notes);
    cur_notes = old_notes;
    memset(&old_notes, 0, sizeof old_notes);
    kt_locals_uncapture();
}

void kt_locals_drop_old(void)
{
    notes_free(&old_notes);
}

/* A thread restarting in the new version leaves its frames: keep copies. */
void kt_stackvars_save_thread(void)
{
    notes_free(&old_notes);
    for (int i = 0; i < cur_notes.n; i++) {
        struct note *n = &cur_notes.v[i];
        if (n->name && n->addr && !n->copy) {
            n->copy = malloc(n->size ? n->size : 1);
            if (n->copy)
                memcpy(n->copy, n->addr, n->size);
            n->addr = n->copy;
        }
    }
    old_notes = cur_notes;
    memset(&cur_notes, 0, sizeof cur_notes);
}

void *kt_locals_find_old(const char *func, const char *name, size_t *size)
{
    for (int i = old_notes.n - 1; i >= 0; i--) {
        const struct note *n = &old_notes.v[i];
        if (n->name && strcmp(n->func, func) == 0 && strcmp(n->name, name) == 0) {
            *size = n->size;
            return n->addr;
        }
    }
    return NULL;
}

static void *find_local_new(const char *func, const char *name)
{
    for (int i = cur_notes.n - 1; i >= 0; i--) {
        const struct note *n = &cur_notes.v[i];
        if (n->name && strcmp(n->func, func) == 0 && strcmp(n->name, name) == 0)
            return n->addr;
    }
    return NULL;
}

/* Statics registered by hand with NOTE_STATIC: the debug info is the primary source,
 * but a static that kitc could not see (an object built without -g) is still migrated
 * by MIGRATE_STATIC through these notes.  They live with the noted locals, under a
 * pseudo-function, keyed by the file's base name (versions may sit in other
 * directories). */

static void noted_key(const char *name, const char *func, const char *file, char *out,
                      size_t len)
{
    const char *base = file ? strrchr(file, '/') : NULL;
    snprintf(out, len, "%s/%s%s%s", base ? base + 1 : file ? file : "", func ? func : "",
             func ? "#" : "", name);
}

void kitsune_note_var(const char *name, const char *func, const char *file, void *addr,
                      size_t size)
{
    char key[512];
    noted_key(name, func, file, key, sizeof key);
    for (int i = cur_notes.n - 1; i >= 0; i--)
        if (cur_notes.v[i].name && strcmp(cur_notes.v[i].func, NOTED_STATIC) == 0 &&
            strcmp(cur_notes.v[i].name, key) == 0)
            return;
    notes_push(&cur_notes, (struct note){NOTED_STATIC, strdup(key), addr, size, NULL, 0});
}

static int migrate_noted(const char *name, const char *func, const char *file, void *addr,
                         size_t size)
{
    char key[512];
    size_t old_size;
    noted_key(name, func, file, key, sizeof key);
    void *old = kt_locals_find_old(NOTED_STATIC, key, &old_size);
    if (!old)
        return 0;
    if (old_size != size)
        kt_update_fail("noted static %s changed size from %zu to %zu", key, old_size, size);
    memcpy(addr, old, size);
    return 1;
}

/* ---- lookups ---- */

static void *symbol_addr(const struct kt_version *v, const char *name, const char *func,
                         const char *file, int old)
{
    if (!v)
        return NULL;
    if (func && !file) {
        size_t sz;
        return old ? kt_locals_find_old(func, name, &sz) : find_local_new(func, name);
    }
    int i = find_var(&v->ktt, name, func, file);
    if (i >= 0)
        return (void *)(v->base + v->ktt.vars[i].addr);
    return func ? NULL : find_func(v, name, file);
}

/* The old version as the calling thread sees it: the main thread until it commits, a
 * restarted thread until it is back at the point it left from (then only the retired
 * version's tables remain: its code and writable data are gone). */
static const struct kt_version *old_version(void)
{
    if (kt_updating())
        return m_old;
    return kitsune_is_updating() && !kt_thread_is_main() ? kt_rt.left : NULL;
}

void *kitsune_get_symbol_addr_old(const char *name, const char *func, const char *file)
{
    return symbol_addr(old_version(), name, func, file, 1);
}

void *kitsune_get_symbol_addr_new(const char *name, const char *func, const char *file)
{
    return symbol_addr(kt_rt.cur, name, func, file, 0);
}

static void *lookup_key(const struct kt_version *v, const char *key)
{
    if (!v)
        return NULL;
    void *p = kt_version_var_addr(v, key);
    return p ? p : kt_version_func_addr(v, key);
}

void *kitsune_lookup_key_old(const char *key)
{
    return lookup_key(old_version(), key);
}

void *kitsune_lookup_key_new(const char *key)
{
    return lookup_key(kt_rt.cur, key);
}

static const char *lookup_addr(const struct kt_version *v, const void *addr)
{
    if (!v)
        return NULL;
    const struct kt_addr_entry *e = kt_version_lookup_addr(v, (uintptr_t)addr);
    return e && e->lo == (uintptr_t)addr ? e->key : NULL;
}

const char *kitsune_lookup_addr_old(const void *addr)
{
    return lookup_addr(old_version(), addr);
}

const char *kitsune_lookup_addr_new(const void *addr)
{
    return lookup_addr(kt_rt.cur, addr);
}

void *kt_migrate_translate(void *old)
{
    return use_fast ? kt_fast_lookup_new(old) : kt_xf_lookup_new(old);
}
