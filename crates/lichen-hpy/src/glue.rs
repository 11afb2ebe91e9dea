//! What `#[hpymodule]` expands to calls: per-signature implementation
//! wrappers and CPython trampolines, generated from lichen-abi's one
//! declaration of the HPyFunc signatures, and the static definitions.
//!
//! For every signature `NAME` whose implementation takes the context:
//! - `sig::NAME`, the trait a definition implements: its `call` gets the
//!   call's `Python<'py>` token and the arguments as safe types (`obj` a
//!   borrowed `&Obj<'py>`, `objs` a [`RawArgs`], `buf` a [`RawBuffer`],
//!   `[T]` a `T`) and returns a `PyResult` of the result (`obj` an
//!   `Obj<'py>`, `[T]` a `T`, `none` a `()`);
//! - `imp::NAME::<D>`, the `extern "C"` implementation with HPy's exact
//!   type (`func_types::lower`) that runs `D::call`, turning an error or a
//!   panic into a raised exception and the signature's error value;
//! - `tramp::NAME::<I>`, the CPython-ABI trampoline that fills the
//!   signature's argument block and hands it to
//!   `ctx_CallRealFunctionFromTrampoline` with the global context, as HPy's
//!   `_HPyFunc_TRAMPOLINE_*` macros do.

use crate::err::{panic_message, PyErr, PyResult};
use crate::exceptions::PySystemError;
use crate::object::Obj;
use crate::python::Python;
use core::ffi::{c_char, c_int, c_void, CStr};
use core::panic::AssertUnwindSafe;
use core::sync::atomic::{AtomicPtr, Ordering};
use lichen_abi::{
    CpyFunction, HPy, HPyCFunction, HPyContext, HPyDef, HPyDefUnion, HPyDef_Kind, HPyFunc_Signature, HPyGetSet,
    HPyGlobal, HPyMember, HPyMember_FieldType, HPyMeth, HPyModuleDef, HPySlot, HPySlot_Slot, HPyType_BuiltinShape,
    HPyType_Spec, HPy_buffer, HPy_ssize_t,
};

// ---------------------------------------------------------------------------
// The context trampolines use (`_ctx_for_trampolines` in HPy's C macros).

static GLOBAL_CTX: AtomicPtr<HPyContext> = AtomicPtr::new(core::ptr::null_mut());

/// What `HPyInitGlobalContext_<name>` does.
///
/// # Safety
/// `ctx` must be the context the runtime loads this extension with, valid
/// for as long as the extension is used.
pub unsafe fn set_global_context(ctx: *mut HPyContext) {
    GLOBAL_CTX.store(ctx, Ordering::Release);
}

/// Hands a trampoline's argument block to the runtime.
///
/// # Safety
/// `args` must be the argument block of `sig`, and `impl_` an
/// implementation of `sig`'s type.
#[inline]
unsafe fn call_real(sig: HPyFunc_Signature, impl_: HPyCFunction, args: *mut c_void) {
    let ctx = GLOBAL_CTX.load(Ordering::Acquire);
    if ctx.is_null() {
        // A trampoline runs only after the runtime loaded the extension
        // (which sets the context); anything else cannot report an error.
        std::process::abort();
    }
    // SAFETY: the runtime's context is valid while the extension is used.
    unsafe { ((*ctx).ctx_CallRealFunctionFromTrampoline)(ctx, sig, impl_, args) }
}

// ---------------------------------------------------------------------------
// Running a definition's Rust code.

/// The value an implementation returns when it raised: NULL, -1, nothing.
pub trait ErrorValue: Copy {
    fn error(py: Python<'_>) -> Self;
}

impl ErrorValue for HPy {
    fn error(_: Python<'_>) -> Self {
        HPy::NULL
    }
}

impl ErrorValue for c_int {
    fn error(_: Python<'_>) -> Self {
        -1
    }
}

impl ErrorValue for HPy_ssize_t {
    fn error(_: Python<'_>) -> Self {
        -1
    }
}

/// A signature returning nothing cannot report an exception: it is
/// written as unraisable, as CPython does for finalizers.
impl ErrorValue for () {
    fn error(py: Python<'_>) -> Self {
        // SAFETY: the context is valid during the call; NULL obj is allowed.
        unsafe { crate::object::call!(py, ctx_Err_WriteUnraisable(HPy::NULL)) }
    }
}

/// Runs `f` for a call from Python under `ctx`: an `Err` is raised, a panic
/// becomes a SystemError, and both return the error value. The result
/// cannot borrow from `'py`, so no handle leaves the call.
///
/// # Safety
/// `ctx` must be the context the running call received.
#[inline]
pub unsafe fn run<R: ErrorValue>(ctx: *mut HPyContext, f: impl for<'py> FnOnce(Python<'py>) -> PyResult<R>) -> R {
    // SAFETY: `ctx` is the context the running call received (this
    // function's contract), on this thread; `f` gets `py` only for the
    // call's duration (its result cannot borrow `'py`), so it is valid for
    // `'py` as `assume` requires.
    let py = unsafe { Python::assume(ctx) };
    match std::panic::catch_unwind(AssertUnwindSafe(|| f(py))) {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            e.restore(py);
            R::error(py)
        }
        Err(payload) => {
            let msg = format!("Rust panic in an HPy extension: {}", panic_message(&*payload));
            PySystemError::new_err(msg).restore(py);
            R::error(py)
        }
    }
}

// ---------------------------------------------------------------------------
// Argument views.

/// The argument array of a VARARGS / KEYWORDS / INITPROC / NEWFUNC call, as
/// received: read through [`parse_args`](crate::args).
#[derive(Clone, Copy)]
pub struct RawArgs(pub(crate) *const HPy);

/// The `HPy_buffer *` of a buffer slot.
#[derive(Clone, Copy)]
pub struct RawBuffer(pub(crate) *mut HPy_buffer);

/// Converts an implementation's raw parameter into what `sig::NAME::call`
/// receives.
macro_rules! arg_in {
    ($py:ident, obj, $v:ident) => {
        // SAFETY: an argument handle is live for the whole call.
        (!$v.is_null()).then(|| unsafe { Obj::borrowed($py, $v) }).as_deref()
    };
    ($py:ident, objs, $v:ident) => { RawArgs($v) };
    ($py:ident, buf, $v:ident) => { RawBuffer($v) };
    ($py:ident, [$t:ty], $v:ident) => { $v };
}

macro_rules! safe_ty {
    ($py:lifetime, obj) => { Option<&Obj<$py>> };
    ($py:lifetime, objs) => { RawArgs };
    ($py:lifetime, buf) => { RawBuffer };
    ($py:lifetime, [$t:ty]) => { $t };
}

macro_rules! safe_ret {
    ($py:lifetime, obj) => { Obj<$py> };
    ($py:lifetime, none) => { () };
    ($py:lifetime, [$t:ty]) => { $t };
}

/// `pub type $p = T;` for a parameter of a written-out type `[T]`, for
/// the proc macro to name (`sig::NAME::param::$p`) instead of spelling it.
macro_rules! param_alias {
    ($p:ident, [$t:ty]) => {
        #[allow(non_camel_case_types)]
        pub type $p = $t;
    };
    ($p:ident, $k:tt) => {};
}

/// `pub type Ret = T;` for a written-out result type `[T]`.
macro_rules! ret_alias {
    ([$t:ty]) => {
        pub type Ret = $t;
    };
    ($k:tt) => {};
}

macro_rules! ret_out {
    (obj, $r:expr) => { $r.into_raw() };
    (none, $r:expr) => { $r };
    ([$t:ty], $r:expr) => { $r };
}

/// `sig::NAME` for every signature whose implementation takes the context
/// (the others, `tp_traverse` and `tp_destroy`, are generated per class).
macro_rules! all_sig_glue {
    (; $($name:ident = $n:literal, $lower:ident, $ctx:ident ($($p:ident : $k:tt),*) -> $r:tt, $block:tt;)*) => {
        /// Per-signature traits and implementation wrappers.
        #[allow(non_snake_case)]
        pub mod sig {
            $( sig_glue_named!($name, $lower, $ctx ($($p : $k),*) -> $r); )*
        }
    };
}

macro_rules! sig_glue_named {
    ($name:ident, $lower:ident, ctx ($($p:ident : $k:tt),*) -> $r:tt) => {
        pub mod $name {
            use super::super::*;

            /// The types of the parameters the declaration writes out, by
            /// parameter name.
            pub mod param {
                $( param_alias!($p, $k); )*
            }

            ret_alias!($r);

            /// A definition of this signature.
            ///
            /// # Safety
            /// `RawArgs` / `RawBuffer` parameters may only be passed on to
            /// the functions of this crate that read them.
            pub unsafe trait Sig: 'static {
                fn call<'py>(py: Python<'py>, $($p: safe_ty!('py, $k)),*) -> PyResult<safe_ret!('py, $r)>;
            }

            /// The implementation HPy calls, of HPy's exact type.
            ///
            /// # Safety
            /// Called by the runtime with a valid context and arguments of
            /// this signature.
            #[allow(clippy::unused_unit)]
            pub unsafe extern "C" fn imp<D: Sig>(
                ctx: *mut HPyContext $(, $p: lichen_abi::hpyfunc_impl_ty!($k))*
            ) -> lichen_abi::hpyfunc_impl_ty!($r) {
                let body = |py: Python<'_>| D::call(py $(, arg_in!(py, $k, $p))*).map(|r| ret_out!($r, r));
                // SAFETY: the runtime passes the running call's context.
                unsafe { run(ctx, body) }
            }

            /// `imp` as the type-erased pointer HPyDef stores; the
            /// annotation checks it against HPy's `HPyFunc_<lower>`.
            pub const fn imp_ptr<D: Sig>() -> HPyCFunction {
                let f: lichen_abi::func_types::$lower = imp::<D>;
                // SAFETY: only the pointer's type is erased; the runtime
                // calls it through this signature's type.
                Some(unsafe { core::mem::transmute::<lichen_abi::func_types::$lower, unsafe extern "C" fn() -> *mut c_void>(f) })
            }

            /// `D` as a definition of this signature.
            pub struct Of<D>(core::marker::PhantomData<D>);

            impl<D: Sig> Def for Of<D> {
                const SIG: HPyFunc_Signature = HPyFunc_Signature::$name;
                const IMPL: HPyCFunction = imp_ptr::<D>();
            }
        }
    };
    ($name:ident, $lower:ident, noctx $params:tt -> $r:tt) => {};
}

lichen_abi::hpyfunc_signatures!(all_sig_glue);

// ---------------------------------------------------------------------------
// Trampolines.

/// A definition's signature and implementation pointer, for its trampoline.
pub trait Def: 'static {
    const SIG: HPyFunc_Signature;
    const IMPL: HPyCFunction;
}

macro_rules! block_fields {
    ($a:ident, $name:ident ($($f:ident : $k:tt),*) -> none) => {
        let mut $a = lichen_abi::trampoline::$name { $($f),* };
    };
    ($a:ident, $name:ident ($($f:ident : $k:tt),*) -> $r:tt) => {
        // SAFETY: every result type (pointer or integer) is valid zeroed;
        // the runtime overwrites it.
        let mut $a = lichen_abi::trampoline::$name { $($f,)* result: unsafe { core::mem::zeroed() } };
    };
}

macro_rules! block_result {
    ($a:ident, none) => { () };
    ($a:ident, $r:tt) => { $a.result };
}

macro_rules! trampoline_fn {
    ($name:ident ($($f:ident : $k:tt),*) -> $r:tt) => {
        pub mod $name {
            use super::super::*;

            /// The CPython-ABI trampoline of this signature.
            ///
            /// # Safety
            /// Called by CPython with the arguments of this slot or method.
            #[allow(clippy::unused_unit)]
            pub unsafe extern "C" fn tramp<I: Def>($($f: lichen_abi::hpyfunc_cpy_ty!($k)),*) -> lichen_abi::hpyfunc_cpy_ty!($r) {
                block_fields!(a, $name ($($f : $k),*) -> $r);
                // SAFETY: `a` is the argument block of `I::SIG`, whose
                // implementation `I::IMPL` is (the `Def` impls pair them).
                unsafe { call_real(I::SIG, I::IMPL, (&raw mut a).cast()) };
                block_result!(a, $r)
            }

            /// The trampoline as the type-erased pointer HPyDef stores.
            pub const fn ptr<I: Def>() -> CpyFunction {
                let f: unsafe extern "C" fn($(lichen_abi::hpyfunc_cpy_ty!($k)),*) -> lichen_abi::hpyfunc_cpy_ty!($r) = tramp::<I>;
                // SAFETY: only the pointer's type is erased; the runtime
                // calls it through the slot's or method's own type.
                Some(unsafe { core::mem::transmute::<unsafe extern "C" fn($(lichen_abi::hpyfunc_cpy_ty!($k)),*) -> lichen_abi::hpyfunc_cpy_ty!($r), unsafe extern "C" fn()>(f) })
            }
        }
    };
}

macro_rules! all_trampolines {
    (; $($name:ident = $n:literal, $lower:ident, $ctx:ident $params:tt -> $r:tt, $block:tt;)*) => {
        /// The CPython trampolines, one per signature with an argument block.
        #[allow(non_snake_case)]
        pub mod tramp {
            $( lichen_abi::hpyfunc_block!(trampoline_fn [] $name $params -> $r, $block); )*
        }
    };
}

lichen_abi::hpyfunc_signatures!(all_trampolines);

// ---------------------------------------------------------------------------
// Static definitions. HPy reads them through `*mut` pointers but never
// writes them; they live in immutable statics.

/// An `HPyDef` in a static.
#[repr(transparent)]
pub struct StaticDef(pub HPyDef);

// SAFETY: the definition is immutable and its pointers lead to immutable
// static data (names, docs) or functions.
unsafe impl Sync for StaticDef {}

const fn doc_ptr(doc: Option<&'static CStr>) -> *const c_char {
    match doc {
        Some(d) => d.as_ptr(),
        None => core::ptr::null(),
    }
}

impl StaticDef {
    /// `HPyDef_METH`.
    pub const fn meth<I: Def>(name: &'static CStr, doc: Option<&'static CStr>, trampoline: CpyFunction) -> StaticDef {
        StaticDef(HPyDef {
            kind: HPyDef_Kind::Meth,
            u: HPyDefUnion {
                meth: HPyMeth { name: name.as_ptr(), impl_: I::IMPL, cpy_trampoline: trampoline, signature: I::SIG, doc: doc_ptr(doc) },
            },
        })
    }

    /// `HPyDef_SLOT`.
    pub const fn slot<I: Def>(slot: HPySlot_Slot, trampoline: CpyFunction) -> StaticDef {
        StaticDef(HPyDef { kind: HPyDef_Kind::Slot, u: HPyDefUnion { slot: HPySlot { slot, impl_: I::IMPL, cpy_trampoline: trampoline } } })
    }

    /// `HPyDef_GETSET` (either part may be absent).
    pub const fn getset(
        name: &'static CStr,
        doc: Option<&'static CStr>,
        getter: (HPyCFunction, CpyFunction),
        setter: (HPyCFunction, CpyFunction),
    ) -> StaticDef {
        StaticDef(HPyDef {
            kind: HPyDef_Kind::GetSet,
            u: HPyDefUnion {
                getset: HPyGetSet {
                    name: name.as_ptr(),
                    getter_impl: getter.0,
                    setter_impl: setter.0,
                    getter_cpy_trampoline: getter.1,
                    setter_cpy_trampoline: setter.1,
                    doc: doc_ptr(doc),
                    closure: core::ptr::null_mut(),
                },
            },
        })
    }

    /// `HPyDef_MEMBER` at `offset` in the payload's value.
    pub const fn member(
        name: &'static CStr,
        doc: Option<&'static CStr>,
        type_: HPyMember_FieldType,
        offset: usize,
        readonly: bool,
    ) -> StaticDef {
        StaticDef(HPyDef {
            kind: HPyDef_Kind::Member,
            u: HPyDefUnion {
                member: HPyMember { name: name.as_ptr(), type_, offset: offset as HPy_ssize_t, readonly: readonly as c_int, doc: doc_ptr(doc) },
            },
        })
    }
}

/// A NULL-terminated array of pointers in a static (`HPyDef *defines[]`,
/// `HPyGlobal *globals[]`).
#[repr(transparent)]
pub struct PtrList<T: 'static, const N: usize>(pub [*mut T; N]);

// SAFETY: the pointers lead to statics that are immutable (defs) or
// written only by the runtime through their own synchronisation (globals).
unsafe impl<T, const N: usize> Sync for PtrList<T, N> {}

impl<T, const N: usize> PtrList<T, N> {
    pub const fn as_ptr(&'static self) -> *mut *mut T {
        self.0.as_ptr().cast_mut()
    }
}

/// `&DEF` as the list's `*mut HPyDef` (never written through).
pub const fn def_ptr(d: &'static StaticDef) -> *mut HPyDef {
    (&d.0 as *const HPyDef).cast_mut()
}

/// The list entry of `T`'s tp_destroy definition `d`: NULL, which ends the
/// list there, when dropping a `T` does nothing.
pub const fn destroy_def_ptr<T>(d: &'static StaticDef) -> *mut HPyDef {
    if core::mem::needs_drop::<T>() { def_ptr(d) } else { core::ptr::null_mut() }
}

/// `&GLOBAL` as the list's `*mut HPyGlobal`.
pub const fn global_ptr(g: &'static crate::Global) -> *mut HPyGlobal {
    g.as_ptr()
}

/// An `HPyModuleDef` in a static.
#[repr(transparent)]
pub struct ModuleDef(pub HPyModuleDef);

// SAFETY: immutable; its pointers lead to immutable statics.
unsafe impl Sync for ModuleDef {}

impl ModuleDef {
    pub const fn new(doc: Option<&'static CStr>, defines: *mut *mut HPyDef, globals: *mut *mut HPyGlobal) -> ModuleDef {
        ModuleDef(HPyModuleDef { doc: doc_ptr(doc), size: 0, legacy_methods: core::ptr::null_mut(), defines, globals })
    }

    /// What `HPyInit_<name>` returns.
    pub const fn as_ptr(&'static self) -> *mut HPyModuleDef {
        (&self.0 as *const HPyModuleDef).cast_mut()
    }
}

/// An `HPyType_Spec` in a static.
#[repr(transparent)]
pub struct TypeSpec(pub HPyType_Spec);

// SAFETY: immutable; its pointers lead to immutable statics.
unsafe impl Sync for TypeSpec {}

impl TypeSpec {
    /// A class whose struct is `PyCellLayout<T>`.
    pub const fn new<T>(
        name: &'static CStr,
        doc: Option<&'static CStr>,
        flags: core::ffi::c_ulong,
        defines: *mut *mut HPyDef,
    ) -> TypeSpec {
        TypeSpec(HPyType_Spec {
            name: name.as_ptr(),
            basicsize: crate::class::PyCellLayout::<T>::SIZE as c_int,
            itemsize: 0,
            flags,
            builtin_shape: HPyType_BuiltinShape::Object,
            legacy_slots: core::ptr::null_mut(),
            defines,
            doc: doc_ptr(doc),
        })
    }
}

/// Offset of a member inside the object's struct, from its offset in `T`.
pub const fn member_offset<T>(offset_in_value: usize) -> usize {
    core::mem::offset_of!(crate::class::PyCellLayout<T>, value) + offset_in_value
}

// ---------------------------------------------------------------------------
// Per-class slots: tp_traverse and tp_destroy (no context), tp_new.

/// What the class's `tp_traverse` visits; generated by `#[hpymodule]`.
pub trait ClassTraverse {
    fn traverse_fields(&self, visit: &mut dyn FnMut(&crate::Field) -> i32) -> i32;
}

/// `HPy_tp_traverse` of `T`.
///
/// # Safety
/// Called by the runtime with the struct of an object of T's type.
pub unsafe extern "C" fn traverse<T: ClassTraverse>(
    object: *mut c_void,
    visit: lichen_abi::HPyFunc_visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: the runtime passes the object's struct, a PyCellLayout<T>.
    let cell = unsafe { &*(object as *const crate::class::PyCellLayout<T>) };
    let Some(visit) = visit else { return 0 };
    // An object borrowed mutably is in the middle of a Rust method: not
    // visiting it keeps its references alive (never collects too much).
    if !cell.is_init() || cell.is_mut_borrowed() {
        return 0;
    }
    // SAFETY: initialised and not borrowed mutably (checked above).
    let value = unsafe { cell.value_ref() };
    let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: each field lies in the object's struct; visit is the
        // runtime's visitproc with its argument.
        value.traverse_fields(&mut |f| unsafe { visit(f.raw_ptr(), arg) })
    }));
    r.unwrap_or(0)
}

/// `HPy_tp_destroy` of `T`: drops the payload. It has no context, so a
/// `Drop` impl cannot call Python (HPy's rule); a panic in it is reported
/// on stderr and the object's memory freed all the same.
///
/// # Safety
/// Called by the runtime once, when the object dies.
pub unsafe extern "C" fn destroy<T>(object: *mut c_void) {
    // SAFETY: the object's struct, a PyCellLayout<T>, dying.
    let cell = unsafe { &*(object as *const crate::class::PyCellLayout<T>) };
    // SAFETY: called once when nothing can borrow the object any more.
    if std::panic::catch_unwind(AssertUnwindSafe(|| unsafe { cell.destroy() })).is_err() {
        eprintln!("lichen-hpy: a Drop of an extension object panicked");
    }
}

/// HPy's trampoline for tp_destroy: never called (the runtime calls the
/// implementation from its deallocator).
pub extern "C" fn destroy_trampoline() {
    std::process::abort()
}

/// The definitions of tp_traverse and tp_destroy for `T`.
pub struct Traverse<T>(core::marker::PhantomData<T>);
impl<T: ClassTraverse + 'static> Def for Traverse<T> {
    const SIG: HPyFunc_Signature = HPyFunc_Signature::TRAVERSEPROC;
    const IMPL: HPyCFunction = {
        let f: lichen_abi::func_types::traverseproc = traverse::<T>;
        // SAFETY: type erasure only; called through HPyFunc_traverseproc.
        Some(unsafe { core::mem::transmute::<lichen_abi::func_types::traverseproc, unsafe extern "C" fn() -> *mut c_void>(f) })
    };
}

pub struct Destroy<T>(core::marker::PhantomData<T>);
impl<T: 'static> Def for Destroy<T> {
    const SIG: HPyFunc_Signature = HPyFunc_Signature::DESTROYFUNC;
    const IMPL: HPyCFunction = {
        let f: lichen_abi::func_types::destroyfunc = destroy::<T>;
        // SAFETY: type erasure only; called through HPyFunc_destroyfunc.
        Some(unsafe { core::mem::transmute::<lichen_abi::func_types::destroyfunc, unsafe extern "C" fn() -> *mut c_void>(f) })
    };
}

/// `destroy_trampoline` as HPyDef stores it.
pub const DESTROY_TRAMPOLINE: CpyFunction = Some(destroy_trampoline);

/// Makes the instance a `#[new]` returned, for tp_new: allocates an object
/// of `cls` holding `value`.
///
/// # Safety
/// `cls` must be T's type or a subtype: the `cls` T's tp_new received.
pub unsafe fn new_instance<'py, T: crate::PyClass>(cls: &Obj<'py>, value: T) -> PyResult<Obj<'py>> {
    // SAFETY: `cls` is T's type or a subtype (this function's contract);
    // `exact` is false, so nothing more is required of it.
    unsafe { crate::class::new_object_unchecked(cls, value, false) }
}

/// A class without `#[new]` cannot be instantiated from Python.
pub fn no_constructor<'py, T: crate::PyClass>() -> PyResult<Obj<'py>> {
    Err(crate::exceptions::PyTypeError::new_err(format!("No constructor defined for {}", T::NAME)))
}

/// Creates a class from its spec in `module`'s exec slot: stores the type
/// in its global and sets it as a module attribute.
pub fn add_class<T: crate::PyClass>(module: &Obj<'_>, spec: &'static TypeSpec, attr: &str) -> PyResult<()> {
    let py = module.py();
    // SAFETY: the spec is a valid static HPyType_Spec that outlives the
    // type; no parameters.
    let h = unsafe { crate::object::call!(py, ctx_Type_FromSpec((&spec.0 as *const HPyType_Spec).cast_mut(), core::ptr::null_mut())) };
    let ty = py.owned(h)?;
    T::type_object().set(py, &ty);
    module.setattr(attr, &ty)
}

/// Creates a custom exception class in `module`'s exec slot.
pub fn add_exception(
    module: &Obj<'_>,
    global: &'static crate::Global,
    name: &str,
    base: crate::ExcType,
    doc: Option<&str>,
) -> PyResult<()> {
    let py = module.py();
    let modname: String = module.getattr("__name__")?.extract()?;
    let qualified = crate::object::c_string(&format!("{modname}.{name}"))?;
    let base = base.load(py);
    let doc = doc.map(crate::object::c_string).transpose()?;
    let doc_ptr = doc.as_ref().map_or(core::ptr::null(), |d| d.as_ptr());
    // SAFETY: NUL-terminated strings, live base handle, no dict.
    let h = unsafe { crate::object::call!(py, ctx_Err_NewExceptionWithDoc(qualified.as_ptr(), doc_ptr, base.raw(), HPy::NULL)) };
    let exc = py.owned(h)?;
    global.set(py, &exc);
    module.setattr(name, &exc)
}

/// The error a definition reports for a `PyErr` it cannot raise.
pub fn system_error(msg: &'static str) -> PyErr {
    PySystemError::new_err(msg)
}
