//! Module objects from HPy module definitions, and the bridge that calls
//! an HPy implementation from RustPython.
//!
//! RustPython calls HPy implementations directly, never through the
//! CPython-ABI trampolines compiled into the extension: the arguments are
//! lent to the implementation as borrowed handles (the address of each
//! argument object, kept alive by the caller for the duration of the call)
//! and the returned handle is taken over. Every call goes through
//! [`Ctx::call`], which runs the implementation under the context its
//! extension was loaded with (debug mode wraps the handles on the way).

use crate::host::error::{new_error, take_pending};
use crate::host::take_handle;
use core::ffi::{c_int, CStr};
use lichen_abi::*;
use lichen_core::host::ExcKind;
use lichen_core::spec::{module_spec, ModuleSpec, SpecError};
use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{PyObject, PyObjectRef, PyResult, VirtualMachine};

/// The exception for a refused definition.
pub fn spec_error(vm: &VirtualMachine, e: &SpecError) -> PyBaseExceptionRef {
    new_error(vm, e.kind, &e.message)
}

/// The context an extension was loaded with, shareable across threads.
#[derive(Clone, Copy, Debug)]
pub struct Ctx(pub *mut HPyContext);
// SAFETY: a context is immutable once built and lives for the rest of the
// process; extensions may use it from any thread.
unsafe impl Send for Ctx {}
unsafe impl Sync for Ctx {}

/// An implementation as the definitions hold it (`HPyMeth.impl`, ...).
pub type Impl = lichen_core::call::Impl;

impl Ctx {
    /// Runs `call(c, f)`, where `f` is what to call for the implementation
    /// `impl_` of signature `sig`, as its C type `F`, and `c` the context to
    /// pass it: `impl_` and this context in universal and trace mode, the
    /// core's debug shim and the universal context in debug mode (see
    /// `lichen_core::call::call_under`). The handles passed are universal.
    ///
    /// # Safety
    /// `F` must be the C type HPy's headers give implementations of `sig`,
    /// `impl_` one of an extension loaded with this context, and `call` must
    /// call `f` at most once.
    #[inline]
    pub unsafe fn call<F: Copy, R>(self, sig: HPyFunc_Signature, impl_: Impl, call: impl FnOnce(*mut HPyContext, F) -> R) -> R {
        const { assert!(core::mem::size_of::<F>() == core::mem::size_of::<Impl>()) };
        // SAFETY: `call_under`'s contract is this function's: `self.0` is
        // the context the extension of `impl_` was loaded with, `impl_` has
        // signature `sig`, and `call` calls `f` at most once. The transmute
        // is sound because `F` is the C type of `sig`'s implementations
        // (this function's contract), a function pointer of the size of
        // `Impl` (checked above), and `f` is one of that type.
        unsafe {
            lichen_core::call::call_under(self.0, sig, impl_, |c, f| call(c, core::mem::transmute_copy::<Impl, F>(&f)))
        }
    }
}

/// A borrowed handle for an object the caller keeps alive.
#[inline(always)]
fn lend(obj: &PyObject) -> HPy {
    HPy { _i: obj as *const PyObject as isize }
}

/// What an implementation's result means: the object it returned, or the
/// exception it raised. `name` is for the messages.
pub fn finish(vm: &VirtualMachine, result: HPy, name: &str) -> PyResult {
    let pending = take_pending();
    if result.is_null() {
        return Err(pending.unwrap_or_else(|| {
            new_error(vm, ExcKind::SystemError, &format!("{name} returned NULL without setting an exception"))
        }));
    }
    // SAFETY: a non-NULL result is a new handle the implementation gave up.
    let obj = unsafe { take_handle(result) };
    match pending {
        None => Ok(obj),
        Some(cause) => {
            drop(obj);
            let e = new_error(vm, ExcKind::SystemError, &format!("{name} returned a result with an exception set"));
            e.set___cause__(Some(cause));
            Err(e)
        }
    }
}

/// The status an `int`-returning implementation gave: `Ok` for 0, the
/// pending exception for -1.
pub fn finish_status(vm: &VirtualMachine, status: c_int, name: &str) -> PyResult<()> {
    let pending = take_pending();
    match (status, pending) {
        (0, None) => Ok(()),
        (0, Some(cause)) => {
            let e = new_error(vm, ExcKind::SystemError, &format!("{name} returned a result with an exception set"));
            e.set___cause__(Some(cause));
            Err(e)
        }
        (_, Some(e)) => Err(e),
        (_, None) => Err(new_error(vm, ExcKind::SystemError, &format!("{name} failed without setting an exception"))),
    }
}

type NoArgsFn = unsafe extern "C" fn(*mut HPyContext, HPy) -> HPy;
type OFn = unsafe extern "C" fn(*mut HPyContext, HPy, HPy) -> HPy;
type VarargsFn = unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, HPy_ssize_t) -> HPy;
type KeywordsFn = unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, usize, HPy) -> HPy;
type ExecFn = unsafe extern "C" fn(*mut HPyContext, HPy) -> c_int;
type CreateFn = unsafe extern "C" fn(*mut HPyContext, HPy) -> HPy;

/// One HPy method, as a module function calls it.
#[derive(Clone, Copy)]
pub struct Method {
    pub name: &'static str,
    /// How CPython names the function in its messages: `module.name` for a
    /// module function, `Type.name` for a method.
    pub qualname: &'static str,
    pub signature: HPyFunc_Signature,
    pub impl_: Impl,
    pub ctx: Ctx,
}

// SAFETY: the implementation is a plain C function of the extension, which
// HPy allows to be called from any thread with a context.
unsafe impl Send for Method {}
unsafe impl Sync for Method {}

impl Method {
    /// Calls the implementation with `self_` and the arguments of one call,
    /// per its signature.
    pub fn call(&self, vm: &VirtualMachine, self_: &PyObject, args: FuncArgs) -> PyResult {
        let (ctx, name, shown, sig, imp) = (self.ctx, self.name, self.qualname, self.signature, self.impl_);
        let nargs = args.args.len();
        let no_keywords = || -> PyResult<()> {
            if args.kwargs.is_empty() {
                Ok(())
            } else {
                Err(vm.new_type_error(format!("{shown}() takes no keyword arguments")))
            }
        };
        // SAFETY (the `ctx.call`s): the spec reader accepted only these four
        // signatures, and HPy's headers declare `impl` with the matching type.
        let result = match sig {
            HPyFunc_Signature::NOARGS => {
                no_keywords()?;
                if nargs != 0 {
                    return Err(vm.new_type_error(format!("{shown}() takes no arguments ({nargs} given)")));
                }
                // SAFETY: `self_` outlives the call; the signature fixes the type.
                unsafe { ctx.call(sig, imp, |c, f: NoArgsFn| f(c, lend(self_))) }
            }
            HPyFunc_Signature::O => {
                no_keywords()?;
                if nargs != 1 {
                    return Err(vm.new_type_error(format!("{shown}() takes exactly one argument ({nargs} given)")));
                }
                // SAFETY: `self_` and `args` outlive the call; the signature fixes the type.
                unsafe { ctx.call(sig, imp, |c, f: OFn| f(c, lend(self_), lend(&args.args[0]))) }
            }
            HPyFunc_Signature::VARARGS => {
                no_keywords()?;
                let handles: Vec<HPy> = args.args.iter().map(|a| lend(a)).collect();
                // SAFETY: the handles' objects are owned by `args` for the
                // call; the signature fixes the type.
                unsafe { ctx.call(sig, imp, |c, f: VarargsFn| f(c, lend(self_), handles.as_ptr(), nargs as HPy_ssize_t)) }
            }
            HPyFunc_Signature::KEYWORDS => {
                let mut handles: Vec<HPy> = args.args.iter().map(|a| lend(a)).collect();
                let mut names = Vec::with_capacity(args.kwargs.len());
                for (k, v) in args.kwargs.iter() {
                    names.push(vm.ctx.new_str(k.clone()).into());
                    handles.push(lend(v));
                }
                let kwnames: Option<PyObjectRef> = (!names.is_empty()).then(|| vm.ctx.new_tuple(names).into());
                let kw = kwnames.as_deref().map_or(HPy::NULL, lend);
                // SAFETY: the handles' objects are owned by `args` and
                // `kwnames` for the call; the signature fixes the type.
                unsafe { ctx.call(sig, imp, |c, f: KeywordsFn| f(c, lend(self_), handles.as_ptr(), nargs, kw)) }
            }
            other => {
                return Err(vm.new_system_error(format!("unsupported HPy method signature {}", other.0)));
            }
        };
        finish(vm, result, name)
    }
}

/// A C string of the extension that lives as long as the process (the
/// library is never unloaded), as text.
///
/// # Safety
/// `s` must be NUL-terminated and never freed.
unsafe fn static_text(s: *const core::ffi::c_char) -> &'static str {
    // SAFETY: `s` is NUL-terminated (this function's contract), and never
    // freed, so the borrow may be `'static`.
    let c: &'static CStr = unsafe { CStr::from_ptr(s) };
    c.to_str().unwrap_or("<non-UTF-8 name>")
}

/// A string that lives as long as the process, for names that RustPython
/// keeps as `&'static str`; made once per method definition.
pub fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn add_methods(vm: &VirtualMachine, module: &PyObjectRef, module_name: &str, spec: &ModuleSpec, ctx: Ctx) -> PyResult<()> {
    for m in &spec.methods {
        let Some(impl_) = m.impl_ else {
            return Err(vm.new_system_error("HPyMeth without an implementation"));
        };
        // SAFETY: the method name is a static string of the extension.
        let name = unsafe { static_text(m.name) };
        let qualname = leak(format!("{module_name}.{name}"));
        let method = Method { name, qualname, signature: m.signature, impl_, ctx };
        let owner = module.clone();
        // SAFETY: the doc is NULL or a static string of the extension.
        let doc = (!m.doc.is_null()).then(|| unsafe { static_text(m.doc) });
        let def = vm.ctx.new_method_def(
            name,
            move |args: FuncArgs, vm: &VirtualMachine| method.call(vm, &owner, args),
            rustpython_vm::function::PyMethodFlags::empty(),
            doc,
        );
        let func = def.build_function(vm);
        module.set_attr(name, func, vm)?;
    }
    Ok(())
}

fn run_execs(vm: &VirtualMachine, module: &PyObject, spec: &ModuleSpec, ctx: Ctx) -> PyResult<()> {
    for slot in &spec.execs {
        let Some(impl_) = slot.impl_ else { continue };
        // SAFETY: `module` outlives the call; an HPy_mod_exec implementation
        // is `int (*)(HPyContext *, HPy)`, an inquiry.
        let status = unsafe { ctx.call(HPyFunc_Signature::INQUIRY, impl_, |c, f: ExecFn| f(c, lend(module))) };
        finish_status(vm, status, "HPy_mod_exec")?;
    }
    Ok(())
}

fn run_create(vm: &VirtualMachine, create: &HPySlot, module_spec: &PyObject, ctx: Ctx) -> PyResult {
    let Some(impl_) = create.impl_ else {
        return Err(vm.new_system_error("HPy_mod_create slot without an implementation"));
    };
    // SAFETY: `module_spec` outlives the call; an HPy_mod_create
    // implementation is `HPy (*)(HPyContext *, HPy)`.
    let created = unsafe { ctx.call(HPyFunc_Signature::MOD_CREATE, impl_, |c, f: CreateFn| f(c, lend(module_spec))) };
    let result = finish(vm, created, "HPy_mod_create")?;
    if result.downcast_ref::<rustpython_vm::builtins::PyModule>().is_some() {
        return Err(vm.new_system_error(
            "HPy_mod_create slot returned a builtin module object. This is currently not supported.",
        ));
    }
    Ok(result)
}

/// Creates and executes the module of `def` for the import `module_spec`
/// (a `ModuleSpec`), as CPython's multi-phase initialisation does.
///
/// # Safety
/// `def` must be the definition an extension loaded with `ctx` returned.
pub unsafe fn create_module(
    vm: &VirtualMachine,
    name: &str,
    def: *mut HPyModuleDef,
    module_spec_obj: &PyObject,
    ctx: *mut HPyContext,
) -> PyResult {
    let ctx = Ctx(ctx);
    // SAFETY: `def` is valid and its arrays live as long as the library.
    let spec = unsafe { module_spec(def) }.map_err(|e| spec_error(vm, &e))?;
    if !spec.legacy_methods.is_null() {
        return Err(vm.new_system_error(format!(
            "HPy extension module '{name}' has legacy (CPython C API) methods, which the \
             RustPython host cannot run: hybrid extensions need CPython"
        )));
    }
    for &g in &spec.globals {
        // SAFETY: the globals are the extension's static HPyGlobal variables.
        unsafe { *g = HPyGlobal::NULL };
    }
    if let Some(create) = spec.create {
        return run_create(vm, create, module_spec_obj, ctx);
    }
    let doc = (!spec.doc.is_null()).then(|| {
        // SAFETY: the doc is a static string of the extension.
        vm.ctx.new_str(unsafe { static_text(spec.doc) })
    });
    let module: PyObjectRef = vm.new_module(name, vm.ctx.new_dict(), doc).into();
    add_methods(vm, &module, name, &spec, ctx)?;
    run_execs(vm, &module, &spec, ctx)?;
    Ok(module)
}

