/* What Lichen's PyPy host (the Rust static library) offers the cffi module
 * python/lichen/_pypy/build.py compiles it into. The same text is the cffi
 * cdef, so it holds only what cffi's parser reads: no preprocessor lines.
 *
 * Handles (`lh`) are intptr_t bits. Their low three bits say what they are:
 * 0 a slot of the object table (index = bits >> 3; slot 0 is HPy_NULL),
 * 1 a small int held in the handle itself (value = bits >> 3), 2 a fresh
 * slot Python filled from its reserve (lichen_reserve), 4 a slot Python
 * lends for one call. Slots 1..lichen_handle_count() are the context's
 * constants, in ABI order. See crates/lichen-pypy/src/table.rs.
 *
 * Every function here takes the extension lock for its duration, so that
 * extension code and Lichen's tables are used by one thread at a time, as
 * they would be under CPython's GIL (cffi calls run without PyPy's GIL).
 * Functions taking handles take them over (they close them) unless noted;
 * a handle with bit 2 set (`..100`) is lent for the call instead. */

typedef intptr_t lh;

/* One HPyDef_METH of a module or type, as Python builds a function from it. */
struct lichen_meth {
    const char *name;
    const char *doc;
    void *impl;
    int sig;
};

struct lichen_member {
    const char *name;
    const char *doc;
    intptr_t offset;
    int type;
    int readonly;
};

struct lichen_getset {
    const char *name;
    const char *doc;
    void *getter;
    void *setter;
    void *closure;
};

/* One HPyDef_SLOT that becomes Python-level special methods. */
struct lichen_slot {
    int slot;
    int sig;
    void *impl;
};

/* An HPyType_Spec, checked by the core, for Python to make the class. */
struct lichen_type_def {
    const char *name;
    const char *doc;
    void *ctx;
    intptr_t basicsize;
    intptr_t itemsize;
    uint64_t flags;
    int shape;
    int has_new;
    int needs_finalizer;
    const struct lichen_meth *methods;
    intptr_t nmethods;
    const struct lichen_member *members;
    intptr_t nmembers;
    const struct lichen_getset *getsets;
    intptr_t ngetsets;
    const struct lichen_slot *slots;
    intptr_t nslots;
    const lh *bases;
    intptr_t nbases;
    lh bases_tuple;
    lh metaclass;
    void *call_impl;
    void *getbuffer;
    void *releasebuffer;
    /* where objects keep their own call function: -1 nowhere (no call
     * protocol), -2 in an HPyCallFunction after the struct, else this
     * offset of the struct (its `__vectorcalloffset__` member) */
    intptr_t call_offset;
    intptr_t type_id;
};

/* HPy_buffer, as a getbuffer implementation fills it. */
struct lichen_buffer {
    void *buf;
    lh obj;
    intptr_t len;
    intptr_t itemsize;
    int readonly;
    int ndim;
    char *format;
    intptr_t *shape;
    intptr_t *strides;
    intptr_t *suboffsets;
    void *internal;
};

/* A module definition, checked by the core. */
struct lichen_module_def {
    const char *name;
    const char *doc;
    void *ctx;
    const struct lichen_meth *methods;
    intptr_t nmethods;
    void *create;
    void *const *execs;
    intptr_t nexecs;
};

/* The pending exception of the calling thread, taken by lichen_err_take:
 * kind 0 none; 1 `ty(message)`; 2 `ty` raised with `value` (value 0: none);
 * 3 the exception object `value`; 4 what a callback raised, which Python
 * keeps (lichen_err_raised_in_python). `stray`: it was set by an implementation
 * that then returned a result anyway. The handles are the caller's to close;
 * `message` is UTF-8, valid until the thread's next lichen_err_take. */
struct lichen_error {
    int kind;
    int stray;
    lh ty;
    lh value;
    const char *message;
    intptr_t message_len;
};

/* start-up */
int lichen_handle_count(void);
const char *lichen_handle_name(int index);
const char *lichen_slot_info(int slot);
const char *lichen_enum(const char *name);
int lichen_init(const void *callbacks, intptr_t ncallbacks);
void *lichen_context(int mode);
intptr_t *lichen_stale_hint(void);

/* the object table */
intptr_t lichen_new_slot(void);
intptr_t lichen_learn_items(lh h);
intptr_t lichen_new_slot_data(void *data, int kind, intptr_t class_id);
lh lichen_dup(lh h);
void lichen_close(lh h);
double lichen_take_float(lh h);
/* a new handle for a float Python passes (its value native, its entry
 * empty until Python needs the object) */
lh lichen_new_float(double v);
/* a callback marked pure in callbacks.def is about to run the user's code:
 * the items of lists native code read are stale */
void lichen_lists_may_change(void);
intptr_t lichen_reserve(intptr_t *out, intptr_t n);
/* how many slots the table has: Python's list of objects must be as long */
intptr_t lichen_table_size(void);
intptr_t lichen_sweep_begin(intptr_t **slots);
void lichen_sweep_end(void);
intptr_t lichen_slots_in_use(void);

/* native storage of instances and capsules */
void lichen_type_lineage(intptr_t type_id, intptr_t base_type_id, const intptr_t *ancestors, intptr_t n, int transparent);
void lichen_destroy_payload(intptr_t type_id, void *payload);
void lichen_destroy_along(const intptr_t *type_ids, intptr_t n, void *payload);
void lichen_capsule_free(void *data);
lh lichen_field_read(void *field);
void lichen_field_write(lh owner, void *field, lh value);
int64_t lichen_loaded_key(lh h);
lh lichen_loaded_owner(lh h);
void lichen_reserve_emptied(const intptr_t *slots, intptr_t n);
void lichen_unreserve(const intptr_t *slots, intptr_t n);
/* how calls ended with the receivers' slots their callers lent: 1 given
 * back, 2 kept by the extension (the caller then calls lichen_lender_done) */
unsigned char *lichen_back_flags(void);
intptr_t lichen_back_cap(void);
/* what Python tells of the object in a slot it passes fresh, by slot */
unsigned char *lichen_kinds_told(void);
void lichen_lender_done(intptr_t slot);
/* the values of float results, by slot */
double *lichen_float_values(void);
/* field stores Python applies after the call that made them */
struct lichen_store { lh owner; int64_t key; lh value; int64_t old_key; };
intptr_t *lichen_stores_hint(void);
intptr_t lichen_stores_begin(struct lichen_store **out);
void lichen_stores_end(void);
lh lichen_store_value(int64_t key);

/* errors */
int lichen_err_take(struct lichen_error *out);
void lichen_err_set(lh exc);
void lichen_err_raised_in_python(void);
int lichen_err_occurred(void);
const char *lichen_attach_bytes(lh h, const char *data, intptr_t size, int is_str);
const char *lichen_keep_cstring(const char *data);

/* a panic inside an entry, which must become a SystemError (tests) */
int lichen_selftest_panic(void);

/* hpy.universal */
const char *lichen_hpy_version(void);
int lichen_mode_from_env(const char *module, const char *value);
const char *lichen_log_line(const char *name, int mode);

/* loading */
int lichen_load(const char *name, const char *path, int mode, struct lichen_module_def *out);

/* calling an extension's implementation `impl` under `ctx`, by signature.
 * Handle arguments are taken over (lent ones, `..100`, are not closed);
 * `self_data` is the address of the receiver's struct when Python knows it (else 0),
 * `self_class` the class id of its class (`class_id` in handles.py; 0: not
 * known), so that native code type-checks it without calling back. A
 * handle result tagged fresh (`..010`) is a slot only the result held: it is
 * the caller's again (lichen._pypy reads it, then keeps it in its reserve). */
/* BEGIN GENERATED: lichen_call_<lower> for every signature of
 * lichen_abi::hpyfunc_signatures! that takes the context and no handle array
 * (<lower> its lower-case name; the rule is `signature_entries!` in
 * src/entry.rs): the handles, then self_data and self_class, then the plain
 * arguments. The test `header_matches_declaration` checks it; regenerate it
 * with `LICHEN_BLESS=1 cargo test -p lichen-pypy header`. */
lh lichen_call_noargs(void *ctx, void *impl, lh self, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_o(void *ctx, void *impl, lh self, lh arg, uintptr_t self_data, uintptr_t self_class);
int lichen_call_getbufferproc(void *ctx, void *impl, lh self, uintptr_t self_data, uintptr_t self_class, struct lichen_buffer *view, int flags);
void lichen_call_releasebufferproc(void *ctx, void *impl, lh self, uintptr_t self_data, uintptr_t self_class, struct lichen_buffer *view);
lh lichen_call_unaryfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_binaryfunc(void *ctx, void *impl, lh arg0, lh arg1, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_ternaryfunc(void *ctx, void *impl, lh arg0, lh arg1, lh arg2, uintptr_t self_data, uintptr_t self_class);
int lichen_call_inquiry(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class);
intptr_t lichen_call_lenfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_ssizeargfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class, intptr_t arg1);
lh lichen_call_ssizessizeargfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class, intptr_t arg1, intptr_t arg2);
int lichen_call_ssizeobjargproc(void *ctx, void *impl, lh arg0, lh arg2, uintptr_t self_data, uintptr_t self_class, intptr_t arg1);
int lichen_call_ssizessizeobjargproc(void *ctx, void *impl, lh arg0, lh arg3, uintptr_t self_data, uintptr_t self_class, intptr_t arg1, intptr_t arg2);
int lichen_call_objobjargproc(void *ctx, void *impl, lh arg0, lh arg1, lh arg2, uintptr_t self_data, uintptr_t self_class);
void lichen_call_freefunc(void *ctx, void *impl, uintptr_t self_data, uintptr_t self_class, void *arg0);
lh lichen_call_getattrfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class, char *arg1);
lh lichen_call_getattrofunc(void *ctx, void *impl, lh arg0, lh arg1, uintptr_t self_data, uintptr_t self_class);
int lichen_call_setattrfunc(void *ctx, void *impl, lh arg0, lh arg2, uintptr_t self_data, uintptr_t self_class, char *arg1);
int lichen_call_setattrofunc(void *ctx, void *impl, lh arg0, lh arg1, lh arg2, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_reprfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class);
intptr_t lichen_call_hashfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_richcmpfunc(void *ctx, void *impl, lh arg0, lh arg1, uintptr_t self_data, uintptr_t self_class, int arg2);
lh lichen_call_getiterfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_iternextfunc(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_descrgetfunc(void *ctx, void *impl, lh arg0, lh arg1, lh arg2, uintptr_t self_data, uintptr_t self_class);
int lichen_call_descrsetfunc(void *ctx, void *impl, lh arg0, lh arg1, lh arg2, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_getter(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class, void *arg1);
int lichen_call_setter(void *ctx, void *impl, lh arg0, lh arg1, uintptr_t self_data, uintptr_t self_class, void *arg2);
int lichen_call_objobjproc(void *ctx, void *impl, lh arg0, lh arg1, uintptr_t self_data, uintptr_t self_class);
void lichen_call_destructor(void *ctx, void *impl, lh arg0, uintptr_t self_data, uintptr_t self_class);
lh lichen_call_mod_create(void *ctx, void *impl, lh spec, uintptr_t self_data, uintptr_t self_class);
/* END GENERATED */
lh lichen_call_few(void *ctx, void *impl, int sig, lh self, uintptr_t self_data, uintptr_t self_class, intptr_t n, lh a, lh b, lh c, lh d);
lh lichen_call_varargs(void *ctx, void *impl, lh self, uintptr_t self_data, uintptr_t self_class, const lh *args, intptr_t nargs);
lh lichen_call_keywords(void *ctx, void *impl, lh self, uintptr_t self_data, uintptr_t self_class, const lh *args, intptr_t nargs, lh kwnames, intptr_t nkw);
lh lichen_call_keywords_few(void *ctx, void *impl, lh self, uintptr_t self_data, uintptr_t self_class, intptr_t nargs, lh kwnames, intptr_t nkw, lh a, lh b, lh c, lh d);
lh lichen_call_newfunc(void *ctx, void *impl, lh type, uintptr_t type_info, const lh *args, intptr_t nargs, lh kw);
int lichen_call_initproc(void *ctx, void *impl, lh self, uintptr_t self_data, uintptr_t self_class, const lh *args, intptr_t nargs, lh kw);
lh lichen_call_newfunc_few(void *ctx, void *impl, lh type, uintptr_t type_info, intptr_t n, lh a, lh b, lh c, lh d);
int lichen_call_initproc_few(void *ctx, void *impl, lh self, uintptr_t self_data, uintptr_t self_class, intptr_t n, lh a, lh b, lh c, lh d);

/* hpy.universal._trace */
int lichen_trace_count(void);
const char *lichen_trace_name(int i);
void lichen_trace_read(uint64_t *counts, uint64_t *durations, int n);
int lichen_trace_args(int npositional, const char *keywords, int *out);
void lichen_trace_set_hook(int which, lh func);
uint64_t lichen_trace_frequency(void);

/* hpy.universal._debug */
uint64_t lichen_debug_new_generation(void);
intptr_t lichen_debug_handles(int closed, int64_t generation, intptr_t *out, intptr_t cap);
int lichen_debug_handle_state(intptr_t handle, intptr_t *raw_size);
lh lichen_debug_handle_obj(intptr_t handle);
const char *lichen_debug_handle_repr(intptr_t handle, const char *obj_repr);
void lichen_debug_force_close(intptr_t handle);
intptr_t lichen_debug_limit(int which, intptr_t set);
void lichen_debug_set_hook(int which, lh func);
void lichen_debug_set_stack_limit(int64_t limit);
const char *lichen_debug_take_last_report(void);
int lichen_debug_set_raw_data_fault_report(int enabled);
int lichen_debug_abort_on_misuse(int abort);
