/* dwarf.c - reads an object's DWARF with elfutils libdw into kitc's model: every type,
 * every variable with storage (globals, file statics, function statics, also at -O2
 * where they sit in abstract instances), and every function definition.  The ELF
 * symbol table tells gcc's clones (foo.constprop.0) from real functions, names clang's
 * statics whose function DIE lost its name, and gives the size of a variable whose
 * DWARF type has no length. */
#include "kitc.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sym {
    uint64_t addr, size;
    const char *name;
    int type; /* STT_FUNC or STT_OBJECT */
};

struct dctx {
    struct model *m;
    const char *path;
    Dwarf *dw;
    Elf *elf;
    int ptr_size;
    int big_endian;
    pmap types;       /* DIE address -> raw type id */
    struct sym *syms; /* sorted by address */
    size_t nsyms, capsyms;
    const char *comp_dir;
    int c_unit;       /* the unit being walked is C: all its types are loaded */
};

static strpool paths; /* normalised absolute source paths */

/* ---- small DWARF helpers -------------------------------------------------------- */

static int attr_udata(Dwarf_Die *d, int at, Dwarf_Word *out)
{
    Dwarf_Attribute a;
    if (!dwarf_attr_integrate(d, at, &a))
        return -1;
    return dwarf_formudata(&a, out);
}

/* The value of a constant attribute.  The dataN forms carry no sign: gcc writes
 * an unsigned bound in the smallest one that holds it (199 as data1 0xc7), so they are
 * sign-extended only for a signed quantity; udata, sdata and implicit_const carry their
 * own.  Returns 0, or -1 when the attribute is not a constant (a reference to a
 * variable or an expression: the bound of a VLA). */
static int form_const(Dwarf_Attribute *a, int is_signed, int64_t *out)
{
    Dwarf_Word u;
    Dwarf_Sword s;
    int width;
    switch (dwarf_whatform(a)) {
    case DW_FORM_data1: width = 8; break;
    case DW_FORM_data2: width = 16; break;
    case DW_FORM_data4: width = 32; break;
    case DW_FORM_data8: width = 64; break;
    case DW_FORM_udata:
        if (dwarf_formudata(a, &u) != 0)
            return -1;
        *out = (int64_t)u;
        return 0;
    case DW_FORM_sdata:
    case DW_FORM_implicit_const:
        if (dwarf_formsdata(a, &s) != 0)
            return -1;
        *out = s;
        return 0;
    default:
        return -1;
    }
    if (dwarf_formudata(a, &u) != 0)
        return -1;
    if (is_signed && width < 64 && (u >> (width - 1)) & 1)
        u |= ~(Dwarf_Word)0 << width;
    *out = (int64_t)u;
    return 0;
}

static int attr_const(Dwarf_Die *d, int at, int is_signed, int64_t *out)
{
    Dwarf_Attribute a;
    if (!dwarf_attr_integrate(d, at, &a))
        return -1;
    return form_const(&a, is_signed, out);
}

static int attr_flag(Dwarf_Die *d, int at)
{
    Dwarf_Attribute a;
    bool f = false;
    if (!dwarf_attr_integrate(d, at, &a) || dwarf_formflag(&a, &f) != 0)
        return 0;
    return f;
}

static const char *die_name(Dwarf_Die *d)
{
    Dwarf_Attribute a;
    if (!dwarf_attr_integrate(d, DW_AT_name, &a))
        return NULL;
    return dwarf_formstring(&a);
}

/* The DIE named by reference attribute `at` (through abstract origins); 0 or -1. */
static int attr_die(Dwarf_Die *d, int at, Dwarf_Die *out)
{
    Dwarf_Attribute a;
    if (!dwarf_attr_integrate(d, at, &a))
        return -1;
    return dwarf_formref_die(&a, out) ? 0 : -1;
}

/* The declaring file and line of d.  DW_AT_decl_file indexes the file table of the
 * unit holding the attribute (maybe an abstract origin's); index 0 is a real file in
 * DWARF 5 but "none" before (elfutils' dwarf_decl_file treats it as none always). */
static struct pos die_pos(struct dctx *c, Dwarf_Die *d)
{
    (void)c;
    struct pos p = {0};
    Dwarf_Attribute a;
    Dwarf_Word idx, line = 0;
    Dwarf_Die cudie;
    Dwarf_Half version;
    Dwarf_Files *files;
    size_t nfiles;
    if (!dwarf_attr_integrate(d, DW_AT_decl_file, &a) || dwarf_formudata(&a, &idx) != 0)
        return p;
    if (!dwarf_cu_die(a.cu, &cudie, &version, NULL, NULL, NULL, NULL, NULL))
        return p;
    if ((idx == 0 && version < 5) || dwarf_getsrcfiles(&cudie, &files, &nfiles) != 0 ||
        idx >= nfiles)
        return p;
    const char *file = dwarf_filesrc(files, idx, NULL, NULL);
    const char *base = file ? strrchr(file, '/') : NULL;
    if (!file || strcmp(base ? base + 1 : file, "<built-in>") == 0) /* gcc's va_list */
        return p;
    attr_udata(d, DW_AT_decl_line, &line);
    Dwarf_Attribute cd;
    const char *comp_dir = dwarf_attr(&cudie, DW_AT_comp_dir, &cd) ? dwarf_formstring(&cd)
                                                                  : NULL;
    char *abs = path_join_norm(comp_dir, file);
    p.file = intern(&paths, abs);
    p.line = (int)line;
    free(abs);
    return p;
}

/* ---- ELF symbol table ----------------------------------------------------------- */

static int sym_cmp(const void *a, const void *b)
{
    const struct sym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void read_symtab(struct dctx *c)
{
    Elf_Scn *scn = NULL, *dyn = NULL, *tab = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(c->elf, scn))) {
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_SYMTAB)
            tab = scn;
        else if (sh.sh_type == SHT_DYNSYM)
            dyn = scn;
    }
    scn = tab ? tab : dyn;
    if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
        return;
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; data && i < n; i++) {
        GElf_Sym s;
        if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF)
            continue;
        int type = GELF_ST_TYPE(s.st_info);
        if (type != STT_FUNC && type != STT_OBJECT)
            continue;
        const char *name = elf_strptr(c->elf, sh.sh_link, s.st_name);
        if (!name || !*name)
            continue;
        grow(&c->syms, &c->capsyms, c->nsyms + 1, sizeof *c->syms);
        c->syms[c->nsyms++] = (struct sym){s.st_value, s.st_size, name, type};
    }
    if (c->nsyms)
        qsort(c->syms, c->nsyms, sizeof *c->syms, sym_cmp);
}

/* Index of the first symbol at addr, or -1. */
static long sym_first_at(const struct dctx *c, uint64_t addr)
{
    size_t lo = 0, hi = c->nsyms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->syms[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nsyms && c->syms[lo].addr == addr ? (long)lo : -1;
}

/* 1 when the symbol table shows that the function `name` at addr is a compiler
 * clone (only symbols like name.constprop.0 there), 0 otherwise. */
static int is_clone(const struct dctx *c, uint64_t addr, const char *name)
{
    long i = sym_first_at(c, addr);
    int dotted = 0;
    for (; i >= 0 && (size_t)i < c->nsyms && c->syms[i].addr == addr; i++) {
        if (c->syms[i].type != STT_FUNC)
            continue;
        if (strcmp(c->syms[i].name, name) == 0)
            return 0;
        size_t n = strlen(name);
        if (strncmp(c->syms[i].name, name, n) == 0 && c->syms[i].name[n] == '.')
            dotted = 1;
    }
    return dotted;
}

/* Length of the "func" part when sym is clang's name for static `var` of a function:
 * "func.var", or "func.var.N" when clang renamed it (it shrank or merged the object);
 * 0 when it is not. */
static size_t static_func_len(const char *sym, const char *var)
{
    size_t len = strlen(sym), n = strlen(var), d = len;
    while (d > 0 && sym[d - 1] >= '0' && sym[d - 1] <= '9')
        d--;
    if (d < len && d > 0 && sym[d - 1] == '.')
        len = d - 1; /* without ".N" */
    if (len > n + 1 && sym[len - n - 1] == '.' && strncmp(sym + len - n, var, n) == 0)
        return len - n - 1;
    return 0;
}

/* clang names a function static "func.var" in the symbol table; returns a new
 * string with func, or NULL. */
static char *static_owner(const struct dctx *c, uint64_t addr, const char *var)
{
    for (long i = sym_first_at(c, addr); i >= 0 && (size_t)i < c->nsyms; i++) {
        const struct sym *s = &c->syms[i];
        if (s->addr != addr)
            break;
        size_t f = s->type == STT_OBJECT ? static_func_len(s->name, var) : 0;
        if (f)
            return xstrndup(s->name, f);
    }
    return NULL;
}

/* ---- types ---------------------------------------------------------------------- */

static int load_type(struct dctx *c, Dwarf_Die *die);

/* The type named by DW_AT_type of d (void when absent). */
static int load_type_of(struct dctx *c, Dwarf_Die *d)
{
    Dwarf_Die t;
    if (attr_die(d, DW_AT_type, &t) != 0)
        return c->m->void_type;
    return load_type(c, &t);
}

static int is_qualifier(int tag)
{
    return tag == DW_TAG_const_type || tag == DW_TAG_volatile_type ||
           tag == DW_TAG_restrict_type || tag == DW_TAG_atomic_type ||
           tag == DW_TAG_immutable_type;
}

static const char *base_enc(Dwarf_Word enc)
{
    switch (enc) {
    case DW_ATE_signed:
    case DW_ATE_signed_char:
    case DW_ATE_signed_fixed:
        return "signed";
    case DW_ATE_boolean:
        return "bool";
    case DW_ATE_float:
    case DW_ATE_complex_float:
    case DW_ATE_decimal_float:
    case DW_ATE_imaginary_float:
        return "float";
    default:
        return "unsigned";
    }
}

/* A name as one field of the format: C names have no spaces, but a C++ unit's may
 * ("typedef __va_list_tag __va_list_tag"). */
static char *underscored(const char *s)
{
    char *r = xstrdup(s ? s : "?");
    for (char *p = r; *p; p++)
        if (*p == ' ')
            *p = '_';
    return r;
}

static int has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = strstr(s, w); p; p = strstr(p + 1, w))
        if ((p == s || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
            return 1;
    return 0;
}

/* One spelling per C base type whatever the compiler wrote: gcc says "long unsigned
 * int" and "complex double" where clang says "unsigned long" and "complex". */
static char *base_name(const char *name, Dwarf_Word enc, Dwarf_Word size)
{
    if (!name)
        return xstrdup("?");
    if (enc == DW_ATE_complex_float)
        return xstrdup(size <= 8 ? "complex_float" : size <= 16 ? "complex_double"
                                                                 : "complex_long_double");
    int is_unsigned = has_word(name, "unsigned"), longs = 0;
    for (const char *p = strstr(name, "long"); p; p = strstr(p + 1, "long"))
        longs++;
    const char *u = is_unsigned ? "unsigned_" : "";
    if (has_word(name, "char"))
        return xasprintf("%s%s", is_unsigned ? "unsigned_" : has_word(name, "signed") ? "signed_"
                                                                                      : "",
                         "char");
    if (has_word(name, "short"))
        return xasprintf("%sshort", u);
    if (strstr(name, "__int128"))
        return xasprintf("%s__int128", u);
    if (enc == DW_ATE_float || has_word(name, "double") || has_word(name, "float"))
        return underscored(name);
    if (longs)
        return xasprintf("%s%s", u, longs > 1 ? "long_long" : "long");
    if (has_word(name, "int") || has_word(name, "unsigned") || has_word(name, "signed"))
        return xasprintf("%sint", u);
    return underscored(name);
}

static void load_base(struct dctx *c, int id, Dwarf_Die *d)
{
    Dwarf_Word size = 0, enc = 0;
    attr_udata(d, DW_AT_byte_size, &size);
    attr_udata(d, DW_AT_encoding, &enc);
    struct type *t = &c->m->t[id];
    t->size = size;
    t->enc = base_enc(enc);
    t->name = base_name(die_name(d), enc, size);
}

static uint64_t member_offset(Dwarf_Die *d)
{
    Dwarf_Attribute a;
    Dwarf_Word off = 0;
    if (!dwarf_attr(d, DW_AT_data_member_location, &a))
        return 0;
    if (dwarf_formudata(&a, &off) == 0)
        return off;
    Dwarf_Op *ops;
    size_t nops;
    if (dwarf_getlocation(&a, &ops, &nops) == 0 && nops == 1 &&
        ops[0].atom == DW_OP_plus_uconst)
        return ops[0].number;
    return 0;
}

/* Fills in bit offset and size of a bitfield member; old DW_AT_bit_offset counts
 * from the most significant bit of the storage unit. */
static void member_bits(struct dctx *c, struct member *mb, Dwarf_Die *d)
{
    Dwarf_Word bits, dbo;
    if (attr_udata(d, DW_AT_bit_size, &bits) != 0)
        return;
    mb->bitfield = 1;
    mb->bitsize = bits;
    if (attr_udata(d, DW_AT_data_bit_offset, &dbo) == 0) {
        mb->bitoff = dbo;
    } else {
        int64_t bo = 0; /* negative when the field sticks out of its storage unit */
        Dwarf_Word storage = 0;
        attr_const(d, DW_AT_bit_offset, 1, &bo);
        if (attr_udata(d, DW_AT_byte_size, &storage) != 0) {
            Dwarf_Die t;
            if (attr_die(d, DW_AT_type, &t) == 0) {
                int s = dwarf_bytesize(&t);
                storage = s > 0 ? (Dwarf_Word)s : 0;
            }
        }
        int64_t base = (int64_t)mb->off * 8;
        if (c->big_endian)
            mb->bitoff = (uint64_t)(base + bo);
        else
            mb->bitoff = (uint64_t)(base + (int64_t)storage * 8 - bo - (int64_t)bits);
    }
    mb->off = mb->bitoff / 8;
}

static void load_members(struct dctx *c, int id, Dwarf_Die *d)
{
    Dwarf_Die ch;
    if (dwarf_child(d, &ch) != 0)
        return;
    do {
        if (dwarf_tag(&ch) != DW_TAG_member)
            continue;
        struct member mb = {0};
        const char *name = die_name(&ch);
        mb.name = name ? xstrdup(name) : NULL;
        mb.off = member_offset(&ch);
        member_bits(c, &mb, &ch);
        if (mb.name) /* gcc and clang disagree on anonymous members' positions */
            mb.pos = die_pos(c, &ch);
        mb.type = load_type_of(c, &ch);
        struct type *t = &c->m->t[id];
        t->mem = xrealloc(t->mem, (t->nmem + 1) * sizeof *t->mem);
        t->mem[t->nmem++] = mb;
    } while (dwarf_siblingof(&ch, &ch) == 0);
}

static void load_enum(struct dctx *c, int id, Dwarf_Die *d)
{
    Dwarf_Word size = 0, enc = 0;
    attr_udata(d, DW_AT_byte_size, &size);
    int is_unsigned = 0;
    Dwarf_Die bt;
    if (attr_die(d, DW_AT_type, &bt) == 0) {
        for (int i = 0; i < 64 && (is_qualifier(dwarf_tag(&bt)) ||
                                   dwarf_tag(&bt) == DW_TAG_typedef); i++)
            if (attr_die(&bt, DW_AT_type, &bt) != 0)
                break;
        if (attr_udata(&bt, DW_AT_encoding, &enc) == 0)
            is_unsigned = enc == DW_ATE_unsigned || enc == DW_ATE_unsigned_char;
    }
    c->m->t[id].size = size;
    Dwarf_Die ch;
    if (dwarf_child(d, &ch) != 0)
        return;
    do {
        Dwarf_Attribute a;
        if (dwarf_tag(&ch) != DW_TAG_enumerator || !dwarf_attr(&ch, DW_AT_const_value, &a))
            continue;
        struct type *t = &c->m->t[id];
        t->en = xrealloc(t->en, (t->nen + 1) * sizeof *t->en);
        int64_t value = 0;
        form_const(&a, !is_unsigned, &value);
        t->en[t->nen++] = (struct enumerator){xstrdup(die_name(&ch) ? die_name(&ch) : "?"),
                                              is_unsigned, value};
    } while (dwarf_siblingof(&ch, &ch) == 0);
}

static void load_func(struct dctx *c, int id, Dwarf_Die *d)
{
    int ret = load_type_of(c, d);
    c->m->t[id].target = ret;
    c->m->t[id].varargs = !attr_flag(d, DW_AT_prototyped);
    Dwarf_Die ch;
    if (dwarf_child(d, &ch) != 0)
        return;
    do {
        int tag = dwarf_tag(&ch);
        if (tag == DW_TAG_unspecified_parameters) {
            c->m->t[id].varargs = 1;
        } else if (tag == DW_TAG_formal_parameter) {
            int p = load_type_of(c, &ch);
            struct type *t = &c->m->t[id];
            t->param = xrealloc(t->param, (t->nparam + 1) * sizeof *t->param);
            t->param[t->nparam++] = p;
        }
    } while (dwarf_siblingof(&ch, &ch) == 0);
}

/* Whether the index type of a subrange (its DW_AT_type) is signed; C compilers use an
 * unsigned one (gcc: sizetype or long unsigned int, clang: __ARRAY_SIZE_TYPE__), and an
 * absent type counts as unsigned too. */
static int index_is_signed(Dwarf_Die *d)
{
    Dwarf_Die t;
    Dwarf_Word enc;
    if (attr_die(d, DW_AT_type, &t) != 0)
        return 0;
    for (int i = 0; i < 64 && (is_qualifier(dwarf_tag(&t)) || dwarf_tag(&t) == DW_TAG_typedef);
         i++)
        if (attr_die(&t, DW_AT_type, &t) != 0)
            return 0;
    return attr_udata(&t, DW_AT_encoding, &enc) == 0 &&
           (enc == DW_ATE_signed || enc == DW_ATE_signed_char);
}

/* Element count of one subrange DIE (DW_AT_count, or DW_AT_upper_bound and
 * DW_AT_lower_bound, default 0 in C), -1 when unknown: no bound (a flexible array
 * member, `int a[];`) or a bound that is not a constant (a VLA). */
static int64_t subrange_count(Dwarf_Die *d)
{
    int sign = index_is_signed(d);
    int64_t n, ub, lb = 0;
    Dwarf_Attribute a;
    if (dwarf_attr_integrate(d, DW_AT_count, &a))
        return attr_const(d, DW_AT_count, sign, &n) == 0 && n >= 0 ? n : -1;
    if (attr_const(d, DW_AT_upper_bound, sign, &ub) != 0)
        return -1;
    if (dwarf_attr_integrate(d, DW_AT_lower_bound, &a) &&
        attr_const(d, DW_AT_lower_bound, sign, &lb) != 0)
        return -1;
    if (ub < lb - 1 || ub == INT64_MAX) /* [0] may come as upper bound -1 */
        return -1;
    return ub - lb + 1;
}

/* int a[2][3] is one DIE with two subranges: array(2, array(3, int)). */
static int load_array(struct dctx *c, Dwarf_Die *d)
{
    int64_t *counts = NULL;
    size_t n = 0, cap = 0;
    Dwarf_Die ch;
    if (dwarf_child(d, &ch) == 0) {
        do {
            int tag = dwarf_tag(&ch);
            if (tag == DW_TAG_subrange_type || tag == DW_TAG_enumeration_type) {
                grow(&counts, &cap, n + 1, sizeof *counts);
                counts[n++] = subrange_count(&ch);
            }
        } while (dwarf_siblingof(&ch, &ch) == 0);
    }
    int elem = load_type_of(c, d);
    if (n == 0)
        elem = array_of(c->m, elem, -1);
    while (n > 0)
        elem = array_of(c->m, elem, counts[--n]);
    free(counts);
    return elem;
}

static int load_type(struct dctx *c, Dwarf_Die *die)
{
    Dwarf_Die d = *die;
    for (int i = 0; is_qualifier(dwarf_tag(&d)); i++) /* bounded: corrupt DWARF loops */
        if (i > 64 || attr_die(&d, DW_AT_type, &d) != 0)
            return c->m->void_type;
    Dwarf_Die sig;
    if (attr_die(&d, DW_AT_signature, &sig) == 0)
        d = sig;
    long cached = pmap_get(&c->types, d.addr, -1);
    if (cached >= 0)
        return (int)cached;
    int tag = dwarf_tag(&d), id, target;
    const char *name = die_name(&d);
    switch (tag) {
    case DW_TAG_base_type:
        id = type_new(c->m, K_BASE);
        load_base(c, id, &d);
        break;
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
        id = type_new(c->m, K_PTR);
        pmap_put(&c->types, d.addr, id);
        c->m->t[id].size = (uint64_t)c->ptr_size;
        target = load_type_of(c, &d); /* may move m->t */
        c->m->t[id].target = target;
        break;
    case DW_TAG_array_type:
        id = load_array(c, &d);
        break;
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type: {
        Dwarf_Word size = 0;
        id = type_new(c->m, tag == DW_TAG_union_type ? K_UNION : K_STRUCT);
        pmap_put(&c->types, d.addr, id);
        attr_udata(&d, DW_AT_byte_size, &size);
        c->m->t[id].size = size;
        c->m->t[id].name = name ? underscored(name) : NULL;
        c->m->t[id].incomplete = attr_flag(&d, DW_AT_declaration);
        c->m->t[id].pos = die_pos(c, &d);
        load_members(c, id, &d);
        break;
    }
    case DW_TAG_enumeration_type:
        id = type_new(c->m, K_ENUM);
        pmap_put(&c->types, d.addr, id);
        c->m->t[id].name = name ? underscored(name) : NULL;
        c->m->t[id].incomplete = attr_flag(&d, DW_AT_declaration);
        c->m->t[id].pos = die_pos(c, &d);
        load_enum(c, id, &d);
        break;
    case DW_TAG_typedef:
        id = type_new(c->m, K_TYPEDEF);
        pmap_put(&c->types, d.addr, id);
        c->m->t[id].name = underscored(name);
        c->m->t[id].pos = die_pos(c, &d);
        target = load_type_of(c, &d); /* may move m->t */
        c->m->t[id].target = target;
        break;
    case DW_TAG_subroutine_type:
        id = type_new(c->m, K_FUNC);
        pmap_put(&c->types, d.addr, id);
        load_func(c, id, &d);
        break;
    default:
        id = c->m->void_type;
        break;
    }
    pmap_put(&c->types, d.addr, id);
    return id;
}

/* Whether a variable of type DIE t is itself const (const T, arrays of const T,
 * through typedefs); a pointer to const is not. */
static int type_is_const(Dwarf_Die *t)
{
    Dwarf_Die d = *t;
    for (int depth = 0; depth < 64; depth++) {
        int tag = dwarf_tag(&d);
        if (tag == DW_TAG_const_type)
            return 1;
        if (!is_qualifier(tag) && tag != DW_TAG_typedef && tag != DW_TAG_array_type)
            return 0;
        if (attr_die(&d, DW_AT_type, &d) != 0)
            return 0;
    }
    return 0;
}

/* ---- variables ------------------------------------------------------------------ */

/* Address of a static-storage location expression; *tls set for TLS offsets.
 * Returns 0, or -1 when the location is not a plain address. */
static int var_address_ops(Dwarf_Attribute *loc, Dwarf_Op *ops, size_t n, uint64_t *addr,
                           int *tls)
{
    if (n == 0 || n > 2)
        return -1;
    *tls = 0;
    if (n == 2) {
        if (ops[1].atom != DW_OP_GNU_push_tls_address && ops[1].atom != DW_OP_form_tls_address)
            return -1;
        *tls = 1;
    }
    switch (ops[0].atom) {
    case DW_OP_addr:
        *addr = ops[0].number;
        return 0;
    case DW_OP_addrx:
    case DW_OP_GNU_addr_index:
    case DW_OP_constx:
    case DW_OP_GNU_const_index: {
        Dwarf_Attribute res;
        Dwarf_Addr a;
        if (dwarf_getlocation_attr(loc, &ops[0], &res) != 0)
            return -1;
        if (dwarf_formaddr(&res, &a) != 0) {
            Dwarf_Word w;
            if (dwarf_formudata(&res, &w) != 0)
                return -1;
            a = w;
        }
        *addr = a;
        return 0;
    }
    case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
    case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s:
    case DW_OP_constu: case DW_OP_consts:
        if (!*tls)
            return -1;
        *addr = ops[0].number;
        return 0;
    default:
        return -1;
    }
}

static int var_address(Dwarf_Attribute *loc, uint64_t *addr, int *tls)
{
    Dwarf_Op *ops;
    size_t n;
    if (dwarf_getlocation(loc, &ops, &n) != 0)
        return -1;
    return var_address_ops(loc, ops, n, addr, tls);
}

/* Whether symbol name `sym` names variable `var` of function `func`: "var", gcc's
 * "var.N" for statics, clang's "func.var[.N]". */
static int names_var(const char *sym, const char *var, const char *func)
{
    size_t n = strlen(var), f = static_func_len(sym, var);
    if (strncmp(sym, var, n) == 0 && (sym[n] == 0 || sym[n] == '.'))
        return 1;
    return func && f == strlen(func) && strncmp(sym, func, f) == 0;
}

/* st_size of the object symbol of variable `name` at addr, -1 when there is none. */
static int64_t symbol_size(const struct dctx *c, uint64_t addr, const char *name,
                           const char *func)
{
    for (long i = sym_first_at(c, addr); i >= 0 && (size_t)i < c->nsyms; i++) {
        const struct sym *s = &c->syms[i];
        if (s->addr != addr)
            break;
        if (s->type == STT_OBJECT && names_var(s->name, name, func))
            return (int64_t)s->size;
    }
    return -1;
}

/* `int tab[];` at file scope is a tentative definition of one element; gcc's DWARF
 * still says int[], but the symbol table has the object's size: the variable's own
 * type then becomes an array of that many elements. */
static int sized_by_symbol(struct model *m, int type, int64_t sym_size)
{
    int id = type;
    while (m->t[id].kind == K_TYPEDEF)
        id = m->t[id].target;
    const struct type *t = &m->t[id];
    int64_t elem = t->kind == K_ARRAY && t->count < 0 ? type_size(m, t->target) : -1;
    if (sym_size < 0 || elem <= 0 || sym_size % elem != 0)
        return type;
    return array_of(m, t->target, sym_size / elem);
}

/* clang -O2 shrinks a global that only ever holds its initialiser or one other value
 * to a flag: its location reads the flag's bytes and computes the value
 * (DW_OP_addrx N, DW_OP_deref_size 1, ..., DW_OP_stack_value).  Such a variable is
 * listed as its storage (an unsigned integer of the bytes read) with a hash of the
 * computation: the planner carries it over only to a version that encodes it the same
 * way.  Returns 0 and fills the address, the storage's size and the hash. */
static int encoded_storage(Dwarf_Attribute *loc, uint64_t *addr, uint64_t *size,
                           uint64_t *hash)
{
    Dwarf_Op *ops;
    size_t n;
    int tls;
    if (dwarf_getlocation(loc, &ops, &n) != 0 || n < 3 ||
        ops[n - 1].atom != DW_OP_stack_value ||
        (ops[1].atom != DW_OP_deref_size && ops[1].atom != DW_OP_deref) ||
        var_address_ops(loc, ops, 1, addr, &tls) != 0 || tls || !*addr)
        return -1;
    *size = ops[1].atom == DW_OP_deref_size ? ops[1].number : 8;
    if (*size == 0 || *size > 8)
        return -1;
    uint64_t h = 1469598103934665603ull; /* FNV-1a over every operation after the address */
    for (size_t k = 1; k < n; k++) {
        uint64_t words[3] = {ops[k].atom, ops[k].number, ops[k].number2};
        for (int w = 0; w < 3; w++)
            for (int b = 0; b < 8; b++) {
                h ^= (words[w] >> (8 * b)) & 0xff;
                h *= 1099511628211ull;
            }
    }
    *hash = h;
    return 0;
}

/* The type of an encoded variable's storage, named so that it pairs with nothing else. */
static int encoded_type(struct dctx *c, uint64_t size)
{
    int id = type_new(c->m, K_BASE);
    struct type *t = &c->m->t[id];
    t->name = xstrdup("kitsune_encoded");
    t->enc = "unsigned";
    t->size = size;
    return id;
}

static void add_var(struct dctx *c, Dwarf_Die *d, const char *func, int in_func)
{
    Dwarf_Attribute loc;
    uint64_t addr, enc_size = 0, encoding = 0;
    int tls = 0;
    if (!dwarf_attr(d, DW_AT_location, &loc))
        return;
    if (var_address(&loc, &addr, &tls) != 0 &&
        encoded_storage(&loc, &addr, &enc_size, &encoding) != 0)
        return;
    const char *name = die_name(d);
    if (!name)
        return;
    char *owner = NULL;
    if (in_func && !func) {
        owner = static_owner(c, addr, name);
        if (!owner) {
            fprintf(stderr, "kitc: %s: warning: cannot tell which function owns static "
                    "'%s' at 0x%llx; skipped\n", c->path, name, (unsigned long long)addr);
            return;
        }
        func = owner;
    }
    struct var v = {0};
    v.name = xstrdup(name);
    v.addr = addr;
    v.pos = die_pos(c, d);
    Dwarf_Die td;
    v.type = c->m->void_type;
    if (enc_size) {
        v.type = encoded_type(c, enc_size);
        v.flags |= VF_ENCODED;
        v.encoding = encoding;
    } else if (attr_die(d, DW_AT_type, &td) == 0) {
        v.type = load_type(c, &td);
        if (type_is_const(&td))
            v.flags |= VF_CONST;
    }
    if (tls)
        v.flags |= VF_TLS;
    v.sym_size = tls ? -1 : symbol_size(c, addr, name, func);
    if (type_size(c->m, v.type) < 0)
        v.type = sized_by_symbol(c->m, v.type, v.sym_size);
    v.func = func ? xstrdup(func) : NULL;
    v.external = !in_func && attr_flag(d, DW_AT_external);
    grow(&c->m->v, &c->m->capv, c->m->nv + 1, sizeof *c->m->v);
    c->m->v[c->m->nv++] = v;
    free(owner);
}

/* ---- functions ------------------------------------------------------------------ */

/* Entry address and size of a function definition; -1 when it has no code. */
static int func_extent(Dwarf_Die *d, uint64_t *entry, uint64_t *size)
{
    Dwarf_Addr lo, hi;
    if (dwarf_lowpc(d, &lo) == 0 && dwarf_highpc(d, &hi) == 0) {
        *entry = lo;
        *size = hi - lo;
        return 0;
    }
    Dwarf_Addr base, start, end;
    ptrdiff_t off = dwarf_ranges(d, 0, &base, &start, &end);
    if (off <= 0)
        return -1;
    *entry = start;
    *size = end - start;
    if (dwarf_entrypc(d, &lo) == 0)
        *entry = lo;
    return 0;
}

static void add_func(struct dctx *c, Dwarf_Die *d)
{
    uint64_t entry, size;
    if (attr_flag(d, DW_AT_declaration) || func_extent(d, &entry, &size) != 0)
        return;
    const char *name = die_name(d);
    if (!name || strchr(name, '.') || is_clone(c, entry, name))
        return;
    struct func f = {0};
    f.addr = entry;
    f.size = size;
    f.name = xstrdup(name);
    f.pos = die_pos(c, d);
    f.external = attr_flag(d, DW_AT_external);
    grow(&c->m->f, &c->m->capf, c->m->nf + 1, sizeof *c->m->f);
    c->m->f[c->m->nf++] = f;
}

/* ---- locals of functions (E_NOTELOCALS) ----------------------------------------
 *
 * A local lives in its function's frame, so its summary entry says where to find it
 * from the frame (docs/ktt-format.md, "Locals"): for each code range, relative to the
 * frame's canonical frame address, to a register, or in a register.  The runtime reads
 * it in the parked main thread's frames at the update point (runtime/locals.c).  Every
 * local of every function is read here; attach.c keeps those of E_NOTELOCALS ones. */

static int reg_of(int atom, int base)
{
    return atom - base;
}

/* One location expression of a local as SPEC (c+N, bR+N, rR); NULL when it is
 * anything else (a constant, a computed value, pieces, an entry value). */
static char *local_spec(const Dwarf_Op *op, size_t n, const Dwarf_Op *fb, size_t nfb)
{
    if (n != 1)
        return NULL;
    int a = op[0].atom;
    long long num = (long long)(int64_t)op[0].number;
    if (a == DW_OP_fbreg) {
        if (nfb != 1)
            return NULL;
        int f = fb[0].atom;
        if (f == DW_OP_call_frame_cfa)
            return xasprintf("c%+lld", num);
        if (f >= DW_OP_reg0 && f <= DW_OP_reg31)
            return xasprintf("b%d%+lld", reg_of(f, DW_OP_reg0), num);
        if (f >= DW_OP_breg0 && f <= DW_OP_breg31)
            return xasprintf("b%d%+lld", reg_of(f, DW_OP_breg0),
                             num + (long long)(int64_t)fb[0].number);
        return NULL;
    }
    if (a >= DW_OP_breg0 && a <= DW_OP_breg31)
        return xasprintf("b%d%+lld", reg_of(a, DW_OP_breg0), num);
    if (a == DW_OP_bregx)
        return xasprintf("b%llu%+lld", (unsigned long long)op[0].number,
                         (long long)(int64_t)op[0].number2);
    if (a >= DW_OP_reg0 && a <= DW_OP_reg31)
        return xasprintf("r%d", reg_of(a, DW_OP_reg0));
    if (a == DW_OP_regx)
        return xasprintf("r%llu", (unsigned long long)op[0].number);
    return NULL;
}

/* The code ranges of a scope DIE as "LO-HI,..." appended to b. */
static void put_ranges(sbuf *b, Dwarf_Die *scope)
{
    Dwarf_Addr base, start, end;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(scope, off, &base, &start, &end)) > 0)
        sb_printf(b, "%s%llx-%llx", b->len ? "," : "", (unsigned long long)start,
                  (unsigned long long)end);
}

/* Where local d is, for each range of its location list (or of its scope when the
 * location is one expression); NULL when it is nowhere. */
static char *local_loc(Dwarf_Die *d, Dwarf_Die *scope, const Dwarf_Op *fb, size_t nfb)
{
    Dwarf_Attribute loc;
    if (!dwarf_attr_integrate(d, DW_AT_location, &loc))
        return NULL;
    sbuf b = {0};
    Dwarf_Addr base, start, end;
    Dwarf_Op *ops;
    size_t n;
    ptrdiff_t off = 0;
    while ((off = dwarf_getlocations(&loc, off, &base, &start, &end, &ops, &n)) > 0) {
        char *spec = local_spec(ops, n, fb, nfb);
        if (!spec)
            continue;
        if (start == 0 && end == (Dwarf_Addr)-1) { /* one expression: the whole scope */
            sbuf r = {0};
            put_ranges(&r, scope);
            for (char *t = r.s ? strtok(r.s, ",") : NULL; t; t = strtok(NULL, ","))
                sb_printf(&b, "%s%s:%s", b.len ? "," : "", t, spec);
            sb_free(&r);
        } else {
            sb_printf(&b, "%s%llx-%llx:%s", b.len ? "," : "", (unsigned long long)start,
                      (unsigned long long)end, spec);
        }
        free(spec);
    }
    if (!b.len) {
        sb_free(&b);
        return NULL;
    }
    return b.s;
}

static uint64_t die_origin(Dwarf_Die *d)
{
    Dwarf_Die o;
    Dwarf_Attribute a;
    while (dwarf_attr(d, DW_AT_abstract_origin, &a) && dwarf_formref_die(&a, &o))
        d = &o;
    return dwarf_dieoffset(d);
}

static void add_local(struct dctx *c, Dwarf_Die *d, const char *func, Dwarf_Die *fn,
                      Dwarf_Die *scope, const char *block, const Dwarf_Op *fb, size_t nfb)
{
    Dwarf_Attribute loc;
    uint64_t addr;
    int tls;
    const char *name = die_name(d);
    if (!name || !func || attr_flag(d, DW_AT_external) || attr_flag(d, DW_AT_declaration))
        return;
    if (dwarf_attr_integrate(d, DW_AT_location, &loc) && var_address(&loc, &addr, &tls) == 0)
        return; /* a function static: add_var has it */
    struct var v = {0};
    v.name = xstrdup(name);
    v.func = xstrdup(func);
    v.pos = die_pos(c, d);
    v.flags = VF_LOCAL;
    v.sym_size = -1;
    v.origin = die_origin(d);
    Dwarf_Die td;
    v.type = attr_die(d, DW_AT_type, &td) == 0 ? load_type(c, &td) : c->m->void_type;
    v.loc = local_loc(d, scope, fb, nfb);
    sbuf fr = {0};
    put_ranges(&fr, fn);
    v.frame = fr.s ? fr.s : xstrdup("");
    v.scope = block ? xstrdup(block) : NULL;
    grow(&c->m->lv, &c->m->caplv, c->m->nlv + 1, sizeof *c->m->lv);
    c->m->lv[c->m->nlv++] = v;
}

/* The locals of function (or inlined instance) fn, in scope (fn or a block whose
 * code ranges are `block`, NULL for the function's own scope). */
static void walk_locals(struct dctx *c, Dwarf_Die *scope, const char *block, const char *func,
                        Dwarf_Die *fn, const Dwarf_Op *fb, size_t nfb)
{
    Dwarf_Die ch;
    if (dwarf_child(scope, &ch) != 0)
        return;
    do {
        switch (dwarf_tag(&ch)) {
        case DW_TAG_variable:
            add_local(c, &ch, func, fn, scope, block, fb, nfb);
            break;
        case DW_TAG_lexical_block: {
            /* A block's locals exist only while its code runs (a block without code
             * ranges of its own is its parent's). */
            sbuf r = {0};
            put_ranges(&r, &ch);
            walk_locals(c, &ch, r.len ? r.s : block, func, fn, fb, nfb);
            sb_free(&r);
            break;
        }
        case DW_TAG_inlined_subroutine: {
            Dwarf_Die inl = ch;
            walk_locals(c, &inl, NULL, die_name(&inl), &inl, fb, nfb);
            break;
        }
        default:
            break;
        }
    } while (dwarf_siblingof(&ch, &ch) == 0);
}

static void add_locals_of(struct dctx *c, Dwarf_Die *fn)
{
    uint64_t entry, size;
    if (!c->c_unit || attr_flag(fn, DW_AT_declaration) || func_extent(fn, &entry, &size) != 0)
        return;
    Dwarf_Attribute a;
    Dwarf_Op *fb = NULL;
    size_t nfb = 0;
    if (!dwarf_attr_integrate(fn, DW_AT_frame_base, &a) || dwarf_getlocation(&a, &fb, &nfb) != 0)
        nfb = 0;
    walk_locals(c, fn, NULL, die_name(fn), fn, fb, nfb);
}

/* ---- walking the DIE tree ------------------------------------------------------- */

static int is_type_tag(int tag)
{
    switch (tag) {
    case DW_TAG_base_type:
    case DW_TAG_pointer_type:
    case DW_TAG_array_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_enumeration_type:
    case DW_TAG_typedef:
    case DW_TAG_subroutine_type:
        return 1;
    default:
        return 0;
    }
}

/* Every type DIE of a C unit is loaded, not only those a variable reaches: rules and generic
 * arguments may name any type, and a struct declared in one unit and defined in
 * another (the opaque-struct idiom) needs its definition loaded to be resolved.  A type
 * defined in a function body is marked: it is listed only when reached, and a
 * file-scope declaration never means it. */
static void add_type(struct dctx *c, Dwarf_Die *d, int in_func)
{
    int id = load_type(c, d);
    if (in_func && id != c->m->void_type)
        c->m->t[id].local = 1;
}

static void walk(struct dctx *c, Dwarf_Die *parent, const char *func, int in_func)
{
    Dwarf_Die ch;
    if (dwarf_child(parent, &ch) != 0)
        return;
    do {
        int tag = dwarf_tag(&ch);
        if (is_type_tag(tag)) {
            if (c->c_unit)
                add_type(c, &ch, in_func);
            continue;
        }
        switch (tag) {
        case DW_TAG_variable:
            add_var(c, &ch, func, in_func);
            break;
        case DW_TAG_subprogram:
            if (!in_func) {
                add_func(c, &ch);
                add_locals_of(c, &ch);
            }
            walk(c, &ch, die_name(&ch), 1);
            break;
        case DW_TAG_inlined_subroutine:
            walk(c, &ch, die_name(&ch), 1);
            break;
        case DW_TAG_lexical_block:
            walk(c, &ch, func, in_func);
            break;
        default:
            break;
        }
    } while (dwarf_siblingof(&ch, &ch) == 0);
}

static int is_c_language(Dwarf_Die *cu)
{
    Dwarf_Word lang;
    if (attr_udata(cu, DW_AT_language, &lang) != 0)
        return 0;
    return lang == DW_LANG_C89 || lang == DW_LANG_C || lang == DW_LANG_C99 ||
           lang == DW_LANG_C11 || lang == 0x2c /* DW_LANG_C17 */;
}

static void note_cu_file(struct dctx *c, Dwarf_Die *cu)
{
    const char *name = die_name(cu);
    if (!name || !is_c_language(cu))
        return;
    char *abs = path_join_norm(c->comp_dir, name);
    grow(&c->m->cu_files, &c->m->capcu, c->m->ncu + 1, sizeof *c->m->cu_files);
    c->m->cu_files[c->m->ncu++] = abs;
}

static void walk_units(struct dctx *c)
{
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie, subdie;
    Dwarf_Half version;
    uint8_t unit_type;
    while (dwarf_get_units(c->dw, cu, &cu, &version, &unit_type, &cudie, &subdie) == 0) {
        if (unit_type != DW_UT_compile && unit_type != DW_UT_partial)
            continue;
        Dwarf_Attribute a;
        c->comp_dir = dwarf_attr(&cudie, DW_AT_comp_dir, &a) ? dwarf_formstring(&a) : NULL;
        c->c_unit = is_c_language(&cudie);
        if (unit_type == DW_UT_compile)
            note_cu_file(c, &cudie);
        walk(c, &cudie, NULL, 0);
    }
}

/* ---- entry points --------------------------------------------------------------- */

/* The next section after `from` (NULL: the first) whose name is one of `names`, with
 * contents in the file; its name in *name. */
static Elf_Scn *next_section_named(Elf *elf, Elf_Scn *from, const char *const *names,
                                   const char **name)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return NULL;
    GElf_Shdr sh;
    for (Elf_Scn *scn = elf_nextscn(elf, from); scn; scn = elf_nextscn(elf, scn)) {
        if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
            continue;
        const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
        for (int i = 0; n && names[i]; i++)
            if (strcmp(n, names[i]) == 0) {
                *name = n;
                return scn;
            }
    }
    return NULL;
}

static int has_debug_info(Elf *elf)
{
    static const char *const names[] = {".debug_info", ".zdebug_info", NULL};
    const char *name;
    return next_section_named(elf, NULL, names, &name) != NULL;
}

/* The DWARF string sections, as libdw uses them (after it has decompressed them), end
 * with a NUL: libdw hands out names as pointers into them without looking for the
 * end, and a truncated section made kitc read past it (found by fuzz_kitc). */
static const char *unterminated_strings(Elf *elf)
{
    static const char *const names[] = {".debug_str", ".debug_line_str", NULL};
    const char *name;
    for (Elf_Scn *scn = next_section_named(elf, NULL, names, &name); scn;
         scn = next_section_named(elf, scn, names, &name)) {
        Elf_Data *d = elf_getdata(scn, NULL);
        if (d && d->d_size > 0 && ((const char *)d->d_buf)[d->d_size - 1] != '\0')
            return name;
    }
    return NULL;
}

/* Opens path as an ELF file; -1 after printing an error. */
static int open_elf(const char *path, int *fd, Elf **elf)
{
    elf_version(EV_CURRENT);
    *fd = open(path, O_RDONLY);
    if (*fd < 0) {
        fprintf(stderr, "kitc: %s: %s\n", path, strerror(errno));
        return -1;
    }
    *elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
    if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
        fprintf(stderr, "kitc: %s: not an ELF file\n", path);
        if (*elf)
            elf_end(*elf);
        close(*fd);
        return -1;
    }
    size_t shstrndx;
    GElf_Ehdr eh;
    if (!gelf_getehdr(*elf, &eh) || elf_getshdrstrndx(*elf, &shstrndx) != 0 ||
        (eh.e_shnum && !elf_getscn(*elf, shstrndx))) {
        fprintf(stderr, "kitc: %s: truncated or corrupt ELF file (%s)\n", path, elf_errmsg(-1));
        elf_end(*elf);
        close(*fd);
        return -1;
    }
    return 0;
}

int dwarf_read(struct model *m, const char *path)
{
    struct dctx c = {0};
    int fd;
    if (open_elf(path, &fd, &c.elf) != 0)
        return -1;
    if (!has_debug_info(c.elf)) {
        fprintf(stderr, "kitc: %s: no DWARF debug info; build with -g\n", path);
        elf_end(c.elf);
        close(fd);
        return -1;
    }
    c.dw = dwarf_begin_elf(c.elf, DWARF_C_READ, NULL);
    if (!c.dw) {
        fprintf(stderr, "kitc: %s: cannot read DWARF: %s\n", path, dwarf_errmsg(-1));
        elf_end(c.elf);
        close(fd);
        return -1;
    }
    const char *bad = unterminated_strings(c.elf);
    if (bad) {
        fprintf(stderr, "kitc: %s: malformed DWARF: section %s does not end its last string\n",
                path, bad);
        dwarf_end(c.dw);
        elf_end(c.elf);
        close(fd);
        return -1;
    }
    GElf_Ehdr eh;
    gelf_getehdr(c.elf, &eh);
    c.ptr_size = eh.e_ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
    c.big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
    c.m = m;
    c.path = path;
    m->void_type = type_new(m, K_VOID);
    read_symtab(&c);
    walk_units(&c);
    dwarf_end(c.dw);
    elf_end(c.elf);
    close(fd);
    pmap_free(&c.types);
    free(c.syms);
    return 0;
}

void dwarf_default_root(struct model *m)
{
    char *root = NULL;
    for (size_t i = 0; i < m->ncu; i++) {
        char *dir = path_dirname(m->cu_files[i]);
        if (!root) {
            root = dir;
            continue;
        }
        char *common = path_common_dir(root, dir);
        free(root);
        free(dir);
        root = common;
    }
    m->root = root ? root : xstrdup("/");
}
